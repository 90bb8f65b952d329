"""On PostgreSQL a task's progress is written on a connection of its own, so a task's page
sees an import move while the import's one transaction is still open ("Checking rows",
"Writing people"); on the import's own connection it would be seen only at the commit."""

import threading

import pytest
from django.db import connection, connections

from assessments import peoplefile
from assessments.models import Employee, PeopleImport
from jobs import runner
from jobs.models import Job

from ..assessments.test_import_people import csv_of, person
from ..factories import make_hr_user
from ..threads import needs_postgresql

pytestmark = [
    needs_postgresql,
    pytest.mark.django_db(
        transaction=True, serialized_rollback=True, databases=["default", "progress"]
    ),
]

PEOPLE = 2500  # enough for progress within each stage (peoplefile.PROGRESS_EVERY)


def read_elsewhere(job_pk):
    """The job's progress as a task's page reads it: from a connection of its own."""
    seen = []

    def read():
        try:
            seen.append(Job.objects.filter(pk=job_pk).values_list("stage", "done", "total").get())
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    return seen[0]


def run_import(monkeypatch):
    """Import a file of new people as the admin's confirmation does; return, for each
    report of progress made inside the import's transaction, what was written and what
    another connection read at that moment."""
    hr = make_hr_user()
    rows = [person("boss@example.com", "Boss", track="management", level="director")]
    rows += [
        person(f"p{number}@example.com", manager="boss@example.com") for number in range(PEOPLE)
    ]
    content = csv_of(rows).decode()
    upload = PeopleImport.objects.create(file_name="big.csv", content=content, uploaded_by=hr)
    fingerprint = peoplefile.preview(content, by=hr).fingerprint
    job = Job.objects.create(
        kind=Job.Kind.PEOPLE_IMPORT,
        title="Import big.csv",
        requested_by=hr,
        params={
            "upload": upload.pk,
            "expected": fingerprint,
            "allow_step_down": False,
            "notify": False,
            "invite": False,
            "domain": "testserver",
            "use_https": False,
        },
    )
    reports = []
    report = runner.Progress.__call__

    def report_and_read(progress, done, total, stage):
        report(progress, done, total, stage)
        if connection.in_atomic_block:  # inside the import's transaction
            reports.append(((stage, done, total), read_elsewhere(job.pk)))

    monkeypatch.setattr(runner.Progress, "__call__", report_and_read)
    monkeypatch.setattr(runner.Progress, "INTERVAL", 0)  # every report is written
    runner.run_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert Employee.objects.count() == PEOPLE + 1
    return reports


def test_progress_is_seen_while_the_import_is_still_writing(settings, monkeypatch, default_ladder):
    settings.JOBS_PROGRESS_DATABASE = "progress"

    reports = run_import(monkeypatch)

    stages = {written[0] for written, _ in reports}
    assert {peoplefile.CHECKING, peoplefile.WRITING} <= stages
    assert [read for _, read in reports] == [written for written, _ in reports]
    writing = [read for _, read in reports if read[0] == peoplefile.WRITING]
    assert len({done for _, done, _ in writing}) > 2  # the bar moves while writing


def test_the_bar_never_rests_full_while_the_import_compares_and_commits(
    settings, monkeypatch, default_ladder
):
    settings.JOBS_PROGRESS_DATABASE = "progress"

    reports = run_import(monkeypatch)

    order = []
    for (stage, _, _), _ in reports:
        if not order or order[-1] != stage:
            order.append(stage)
    assert order.index(peoplefile.COMPARING) < order.index(peoplefile.WRITING)
    assert order[-1] == peoplefile.SAVING
    # Stages of unknown length show an unmeasured bar (total 0), never a full one.
    unmeasured = {(stage, total) for (stage, _, total), _ in reports if total == 0}
    assert unmeasured == {(peoplefile.COMPARING, 0), (peoplefile.SAVING, 0)}


def test_on_the_imports_own_connection_progress_waits_for_the_commit(
    settings, monkeypatch, default_ladder
):
    settings.JOBS_PROGRESS_DATABASE = "default"

    reports = run_import(monkeypatch)

    assert reports
    assert {read[0] for _, read in reports} == {peoplefile.READING}  # as before the import

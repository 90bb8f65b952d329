"""People files imported at the same moment, in real threads on PostgreSQL: the second
import waits for the first and then sees its people, and two files can never close a loop
in the reporting lines between them."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from assessments import peoplefile
from assessments.models import Employee, LevelAssignment
from jobs.models import Job

from ..factories import make_hr_user
from ..threads import at_once as run_together
from ..threads import needs_postgresql
from .test_import_people import csv_of, person, small_team

pytestmark = [
    needs_postgresql,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

IMPORT_URL = "/admin/assessments/employee/import/"


def someone_waits_for_a_lock():
    """Whether a transaction on this database is waiting for a lock held by another."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()))"
        )
        return cursor.fetchone()[0]


def at_once(monkeypatch, *jobs):
    """Run each job (an import) in a thread of its own, so on a database connection of its
    own, all started together; return what each returned or raised.

    Each import, once it has checked its file against the database, waits until the other
    has checked too, or is held back by a lock: without the lock both would check before
    either writes, the interleaving that made imports collide."""
    # The threads of the jobs that have checked, or finished without checking (refused
    # before they got there): nobody waits for those.
    arrived, both_checked = set(), threading.Condition()
    check = peoplefile._check_against_database

    def arrive():
        with both_checked:
            arrived.add(threading.get_ident())
            both_checked.notify_all()

    def check_then_wait(plan):
        check(plan)
        arrive()
        with both_checked:
            for _ in range(600):  # 30 s at most
                if len(arrived) == len(jobs) or someone_waits_for_a_lock():
                    break
                both_checked.wait(timeout=0.05)

    def arriving_when_done(job):
        def run():
            try:
                return job()
            finally:
                arrive()

        return run

    monkeypatch.setattr(peoplefile, "_check_against_database", check_then_wait)
    return run_together(*(arriving_when_done(job) for job in jobs))


def test_the_same_file_imported_twice_at_once_creates_everyone_once(default_ladder, monkeypatch):
    content = csv_of(small_team())

    results = at_once(
        monkeypatch,
        lambda: peoplefile.import_people(content=content),
        lambda: peoplefile.import_people(content=content),
    )

    assert all(isinstance(result, peoplefile.ImportSummary) for result in results), results
    # One created everyone; the other, waiting meanwhile, then found them all as they are.
    assert sorted((r.created, r.updated, r.unchanged) for r in results) == [(0, 0, 3), (3, 0, 0)]
    assert Employee.objects.count() == 3
    assert LevelAssignment.objects.count() == 3
    assert get_user_model().objects.filter(username__endswith="@example.com").count() == 3


def test_two_confirmations_of_the_same_file_at_once_import_it_once(default_ladder, monkeypatch):
    """Two HR people preview the same file, then confirm at once: one imports it, the other
    is shown what the file would do now (nothing) and nothing of theirs is written."""
    content = csv_of(small_team())
    confirmations = []
    for _ in range(2):
        client = Client()
        client.force_login(make_hr_user())
        file = SimpleUploadedFile("people.csv", content, content_type="text/csv")
        preview = client.post(IMPORT_URL, {"file": file}, follow=True)
        assert preview.status_code == 200
        url = f"{IMPORT_URL}{preview.context['upload'].pk}/"
        confirmations.append((client, url, preview.context["preview"].fingerprint))

    def confirm(client, url, fingerprint):
        return client.post(url, {"fingerprint": fingerprint}, follow=True)

    responses = at_once(monkeypatch, *(lambda job=job: confirm(*job) for job in confirmations))

    # The second is refused when its confirmation is checked (409, the new preview), or,
    # confirmed before the first import committed, by its task under the lock.
    assert sorted(getattr(r, "status_code", r) for r in responses) in ([200, 200], [200, 409])
    done = Job.objects.get(status=Job.Status.SUCCEEDED)
    assert "Created 3, updated 0, unchanged 0." in done.message
    stale = next((response for response in responses if response.status_code == 409), None)
    if stale is not None:
        assert "People changed after your preview, so nothing was imported." in stale.text
        assert stale.context["preview"].unchanged == 3
    else:
        refused = Job.objects.get(status=Job.Status.FAILED)
        assert "changed after your preview, so nothing was imported" in refused.message
    assert Employee.objects.count() == 3
    assert LevelAssignment.objects.count() == 3


def test_two_files_that_close_a_loop_together_are_not_both_imported(default_ladder, monkeypatch):
    peoplefile.import_people(content=csv_of([person("x@example.com"), person("y@example.com")]))
    x_under_y = csv_of([person("x@example.com", manager="y@example.com")])
    y_under_x = csv_of([person("y@example.com", manager="x@example.com")])

    results = at_once(
        monkeypatch,
        lambda: peoplefile.import_people(content=x_under_y),
        lambda: peoplefile.import_people(content=y_under_x),
    )

    imported = [r for r in results if isinstance(r, peoplefile.ImportSummary)]
    refused = [r for r in results if isinstance(r, peoplefile.PeopleFileError)]
    assert (len(imported), len(refused)) == (1, 1), results
    assert imported[0].updated == 1
    [problem] = refused[0].problems
    assert problem.startswith("row 2, manager_email: this makes a loop in the reporting lines: ")
    managers = dict(Employee.objects.values_list("email", "manager__email"))
    assert managers in (
        {"x@example.com": "y@example.com", "y@example.com": None},
        {"x@example.com": None, "y@example.com": "x@example.com"},
    )

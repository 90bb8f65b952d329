"""Large people files: the bulk writes of an import (each new person inserted once, with
their manager and path; ids taken before inserting), the progress it reports stage by
stage, and a write that fails half-way leaving nothing behind."""

import itertools

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import notifications, peoplefile
from assessments.models import Employee, LevelAssignment

from ..factories import UserFactory
from .test_import_people import csv_of, organisation, person, promoted, small_team
from .test_tree_path import assert_paths_right, new_person

pytestmark = pytest.mark.django_db

User = get_user_model()
# More people than two reports of progress apart, and than one batch of writes.
SIZE = 2 * peoplefile.PROGRESS_EVERY + 100
BATCHES = peoplefile.WRITE_BATCH + 100


class Recorder:
    """A `progress` callable that keeps every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, done, total, stage):
        self.calls.append((done, total, stage))

    def stages(self):
        return list(dict.fromkeys(stage for _, _, stage in self.calls))

    def of(self, stage):
        return [(done, total) for done, total, name in self.calls if name == stage]


def assert_rises_to_the_total(reports, *, step=peoplefile.PROGRESS_EVERY):
    """One stage's reports: a fixed total, from 0 up to it, never more than `step` apart."""
    totals = {total for _, total in reports}
    assert len(totals) == 1, f"one total per stage, not {totals}"
    done = [done for done, _ in reports]
    assert done[0] == 0
    assert done[-1] == totals.pop()
    assert done == sorted(done)
    assert all(later - earlier <= step for earlier, later in itertools.pairwise(done))


def everything():
    """All that an import writes, to compare before and after."""
    return (
        sorted(
            Employee.objects.values_list(
                "pk", "email", "full_name", "job_title", "manager_id", "level_id", "path"
            )
        ),
        sorted(LevelAssignment.objects.values_list("pk", "employee_id", "level_id")),
        sorted(User.objects.values_list("pk", "username")),
        LogEntry.objects.count(),
    )


# Bulk writes ---------------------------------------------------------------------------


def test_new_people_are_inserted_once_with_their_managers_and_paths(default_ladder):
    """Managers listed after their reports included: nobody is updated after the insert."""
    rows, managers = organisation(300)

    with CaptureQueriesContext(connection) as queries:
        summary = peoplefile.import_people(content=csv_of(rows))

    assert summary.created == 300
    table = Employee._meta.db_table
    assert not [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    found = dict(Employee.objects.values_list("email", "manager__email"))
    assert found == {email: manager or None for email, manager in managers.items()}
    assert_paths_right()


def test_new_people_take_ids_nobody_else_will(default_ladder):
    """Ids are taken before inserting: never one a deleted person had, and a person placed
    afterwards, one at a time, gets a new one."""
    peoplefile.import_people(content=csv_of([person("gone@example.com")]))
    gone = Employee.objects.get()
    gone_pk = gone.pk
    gone.assignments.all().delete()
    gone.delete()

    peoplefile.import_people(content=csv_of(small_team()))
    imported = sorted(Employee.objects.values_list("pk", flat=True))
    signed_in = sorted(User.objects.values_list("pk", flat=True))
    placed = new_person(default_ladder, 1, manager=Employee.objects.get(pk=imported[0]))

    assert imported[0] > gone_pk
    assert placed.pk > imported[-1]
    assert UserFactory().pk > signed_in[-1]


def test_someone_with_a_new_level_and_a_new_name_is_updated_once(default_ladder):
    peoplefile.import_people(content=csv_of(small_team()))

    with CaptureQueriesContext(connection) as queries:
        summary = peoplefile.import_people(
            content=csv_of(promoted(small_team())), allow_step_down=True
        )

    assert summary.updated == 3
    table = Employee._meta.db_table
    assert len([q for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]) == 1
    assert set(Employee.objects.values_list("full_name", "level__key")) == {
        ("Ana Boss Jr", "principal-pm"),
        ("Ben Lead Jr", "principal-pm"),
        ("Cy Junior Jr", "principal-pm"),
    }


def test_everyone_changed_is_written_in_batches_and_logged(default_ladder, admin_user):
    rows, _ = organisation(BATCHES)
    peoplefile.import_people(content=csv_of(rows))
    changed = promoted(rows)

    summary = peoplefile.import_people(
        content=csv_of(changed), by=admin_user, allow_step_down=True, name="promotions.csv"
    )

    assert summary.updated == BATCHES
    assert set(Employee.objects.values_list("level__key", flat=True)) == {"principal-pm"}
    assert not Employee.objects.exclude(full_name__endswith=" Jr").exists()
    entries = LogEntry.objects.filter(user=admin_user)
    assert entries.count() == BATCHES
    assert set(entries.values_list("object_id", flat=True)) == {
        str(pk) for pk in Employee.objects.values_list("pk", flat=True)
    }
    assert entries.filter(change_message__startswith="Changed name").count() == BATCHES
    assert_paths_right()


# Progress ------------------------------------------------------------------------------


def test_an_import_reports_each_stage_rising_to_its_total(default_ladder, admin_user, mailoutbox):
    rows, _ = organisation(SIZE)
    progress = Recorder()

    peoplefile.import_people(
        content=csv_of(rows), by=admin_user, invite=True, domain="example.com", progress=progress
    )

    assert progress.stages() == [
        peoplefile.READING,
        peoplefile.CHECKING,
        peoplefile.COMPARING,
        peoplefile.WRITING,
        peoplefile.SAVING,
        peoplefile.PREPARING_INVITATIONS,
        peoplefile.SENDING_INVITATIONS,
    ]
    # The stages of unknown length leave the bar unmeasured (a total of 0), never full.
    assert progress.of(peoplefile.COMPARING) == progress.of(peoplefile.SAVING) == [(0, 0)]
    for stage in progress.stages():
        assert_rises_to_the_total(progress.of(stage))
    assert progress.of(peoplefile.READING)[-1] == (SIZE, SIZE)
    assert progress.of(peoplefile.CHECKING)[-1] == (SIZE, SIZE)
    # Sign-ins, people, first levels and admin history entries, a row each per person.
    assert progress.of(peoplefile.WRITING)[-1] == (4 * SIZE, 4 * SIZE)
    assert progress.of(peoplefile.SENDING_INVITATIONS)[-1] == (SIZE, SIZE)
    assert len(mailoutbox) == SIZE


def test_level_emails_report_their_progress_once_committed(
    default_ladder, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    rows, managers = organisation(BATCHES)
    peoplefile.import_people(content=csv_of(rows))
    already = sum(1 for row in rows if row["level"] == "principal-pm")
    progress = Recorder()

    with django_capture_on_commit_callbacks(execute=True):
        peoplefile.import_people(
            content=csv_of(promoted(rows)),
            by=admin_user,
            allow_step_down=True,
            notify=True,
            progress=progress,
        )

    assert progress.stages()[-2:] == [
        notifications.PREPARING_LEVEL_EMAILS,
        notifications.SENDING_LEVEL_EMAILS,
    ]
    promotions = [row for row in rows if row["level"] != "principal-pm"]
    emails = len(promotions) + sum(1 for row in promotions if managers[row["email"]])
    for stage in progress.stages():
        assert_rises_to_the_total(progress.of(stage))
    assert progress.of(notifications.SENDING_LEVEL_EMAILS)[-1] == (emails, emails)
    assert len(mailoutbox) == emails
    # The promoted's level changes; everyone's row, updated once for a new name and maybe
    # a new level; an entry each in the admin history.
    writes = (BATCHES - already) + 2 * BATCHES
    assert progress.of(peoplefile.WRITING)[-1] == (writes, writes)


def test_a_preview_reports_its_checks(default_ladder):
    progress = Recorder()

    peoplefile.preview(csv_of(small_team()), progress=progress)

    assert progress.stages() == [peoplefile.READING, peoplefile.CHECKING, peoplefile.COMPARING]
    assert progress.of(peoplefile.CHECKING)[-1] == (3, 3)
    assert progress.calls[-1] == (0, 0, peoplefile.COMPARING)


def test_a_refused_file_reports_no_writing(default_ladder):
    rows = [*small_team(), person("eve@example.com", level="astronaut")]
    progress = Recorder()

    with pytest.raises(peoplefile.PeopleFileError):
        peoplefile.import_people(content=csv_of(rows), progress=progress)

    assert peoplefile.WRITING not in progress.stages()


# All or nothing ------------------------------------------------------------------------

# A real transaction, as a command or a worker has, rather than a test's savepoint.
all_or_nothing = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def existing_and_new(default_ladder):
    """People here already, and a file that changes all of them and adds as many more."""
    rows, _ = organisation(BATCHES)
    peoplefile.import_people(content=csv_of(rows))
    more = [person(f"new{i}@example.com", manager="person0000@example.com") for i in range(BATCHES)]
    return csv_of([*promoted(rows), *more])


@all_or_nothing
def test_a_write_failing_half_way_leaves_everything_as_it_was(
    default_ladder, admin_user, monkeypatch
):
    content = existing_and_new(default_ladder)
    before = everything()
    insert = peoplefile._Writes.insert
    inserted = []

    def insert_then_fail(self, model, fields, rows):
        insert(self, model, fields, rows)
        inserted.append(model)
        if model is LogEntry:  # the last write: everything else is written by now
            raise RuntimeError("the database went away")

    monkeypatch.setattr(peoplefile._Writes, "insert", insert_then_fail)

    with pytest.raises(RuntimeError, match="went away"):
        peoplefile.import_people(content=content, by=admin_user, allow_step_down=True)

    assert inserted == [LevelAssignment, User, Employee, LevelAssignment, LogEntry]
    assert everything() == before


@all_or_nothing
def test_progress_that_fails_between_batches_leaves_everything_as_it_was(default_ladder):
    content = existing_and_new(default_ladder)
    before = everything()

    def progress(done, total, stage):
        if stage == peoplefile.WRITING and done > total // 2:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        peoplefile.import_people(content=content, allow_step_down=True, progress=progress)

    assert everything() == before

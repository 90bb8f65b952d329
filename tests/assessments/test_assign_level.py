"""assign_level: the only way a level changes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from assessments import services
from assessments.models import Employee, LevelAssignment
from levels import ladderfile
from levels import services as ladder_services

from ..conftest import place

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def assign(org, person, level_key, track_key="ic", days_ago=0, ladder=None):
    ladder = ladder or org.ladder
    return services.assign_level(
        employee=person,
        level=ladder.levels.get(key=level_key),
        track=ladder.tracks.get(key=track_key),
        effective_on=TODAY() - datetime.timedelta(days=days_ago),
        by=org.manager.user,
        rationale="  Led the pricing launch.  ",
    )


def test_a_valid_change_writes_history_and_current_level_together(org):
    assignment = assign(org, org.report, "senior-pm")

    org.report.refresh_from_db()
    assert org.report.level.key == "senior-pm"
    assert org.report.assignments.count() == 2
    assert org.report.assignments.first() == assignment
    assert assignment.assigned_by == org.manager.user
    assert assignment.rationale == "Led the pricing launch."
    assert services.level_since(org.report) == TODAY()


def test_a_track_change_at_the_fork(org):
    assign(org, org.report, "senior-pm", days_ago=10)
    assign(org, org.report, "pm-manager", "management")

    org.report.refresh_from_db()
    assert (org.report.level.key, org.report.track.key) == ("pm-manager", "management")


def expect_refusal(org, field, message, **kwargs):
    before = LevelAssignment.objects.count()
    with pytest.raises(ValidationError) as error:
        assign(org, org.report, **kwargs)
    assert message in " ".join(error.value.message_dict[field])
    org.report.refresh_from_db()
    assert org.report.level.key == "pm"
    assert LevelAssignment.objects.count() == before


def test_a_level_from_another_ladder_is_refused(org):
    spec = ladderfile.read(
        (
            ladder_services.DEFAULT_LADDER_FILE.parent.parent.parent / "tests/data/engineering.yaml"
        ).read_bytes()
    )
    other = ladder_services.import_ladder(spec=spec).ladder
    with pytest.raises(ValidationError) as error:
        services.assign_level(
            employee=org.report,
            level=other.levels.get(key="e2"),
            track=org.ladder.tracks.get(key="ic"),
            effective_on=TODAY(),
            by=None,
        )
    assert "not on the Product Management ladder" in error.value.message_dict["level"][0]
    org.report.refresh_from_db()
    assert org.report.level.key == "pm"


def test_a_level_off_the_track_is_refused(org):
    expect_refusal(org, "level", "not on the Individual Contributor track", level_key="director")


def test_a_retired_level_is_refused(org):
    org.ladder.levels.filter(key="senior-pm").update(is_active=False)

    expect_refusal(org, "level", "retired", level_key="senior-pm")


def test_a_future_date_is_refused(org):
    expect_refusal(org, "effective_on", "today or earlier", level_key="senior-pm", days_ago=-1)


def test_a_date_before_the_latest_assignment_is_refused(org):
    # The report's PM assignment took effect 360 days ago.
    expect_refusal(
        org, "effective_on", "cannot start before it", level_key="senior-pm", days_ago=400
    )


def test_levels_and_tracks_in_use_cannot_be_deleted(org):
    with pytest.raises(ProtectedError):
        org.report.level.delete()
    with pytest.raises(ProtectedError):
        org.report.track.delete()


def test_level_since_is_the_start_of_the_latest_run_at_the_level(org):
    """A track change at the same level does not restart the clock."""
    person = place(org.ladder, "runner", "Run Ner", "senior-pm", months_ago=6)
    services.assign_level(
        employee=person,
        level=person.level,
        track=org.ladder.tracks.get(key="management"),
        effective_on=TODAY() - datetime.timedelta(days=5),
        by=None,
    )

    person = Employee.objects.get(pk=person.pk)
    assert services.level_since(person) == TODAY() - datetime.timedelta(days=180)


def test_placing_someone_in_the_future_is_refused(org):
    with pytest.raises(ValidationError, match="today or earlier"):
        services.place_employee(
            full_name="Future Person",
            email="future@example.com",
            ladder=org.ladder,
            track=org.report.track,
            level=org.report.level,
            effective_on=TODAY() + datetime.timedelta(days=1),
        )
    assert not Employee.objects.filter(email="future@example.com").exists()


def test_the_callers_copy_of_the_employee_is_updated(org):
    assign(org, org.report, "senior-pm")

    assert org.report.level.key == "senior-pm"  # without a refresh from the database

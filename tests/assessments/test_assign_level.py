"""assign_level: the only way a level changes, and the Assign level page, which can change
the job title with it."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Employee, LevelAssignment
from levels import ladderfile
from levels import services as ladder_services

from ..conftest import place
from ..factories import history_since

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
    assert org.report.level_since == TODAY() == history_since(org.report)


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
    assert person.level_since == TODAY() - datetime.timedelta(days=180) == history_since(person)


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


# The job title, changed with the level ---------------------------------------------------


def test_the_job_title_changes_with_the_level_when_given(org):
    assignment = services.assign_level(
        employee=org.report,
        level=org.ladder.levels.get(key="senior-pm"),
        track=org.report.track,
        effective_on=TODAY(),
        by=org.manager.user,
        rationale="Led the pricing launch.",
        job_title="  Senior Product Manager, Pricing  ",
    )

    assert org.report.job_title == "Senior Product Manager, Pricing"  # the caller's copy
    org.report.refresh_from_db()
    assert org.report.job_title == "Senior Product Manager, Pricing"
    assert org.report.level == assignment.level


def test_without_a_job_title_the_current_one_is_kept(org):
    assign(org, org.report, "senior-pm")

    org.report.refresh_from_db()
    assert org.report.job_title == "Remi Report's title"


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("Senior PM\x1b[31m", "control character U+001B"),
        ("Senior PM\u202e", "U+202E (Right-To-Left Override)"),
        ("x" * 151, "at most 150 characters"),
    ],
)
def test_a_bad_job_title_is_refused_and_nothing_is_written(org, title, message):
    with pytest.raises(ValidationError) as error:
        services.assign_level(
            employee=org.report,
            level=org.ladder.levels.get(key="senior-pm"),
            track=org.report.track,
            effective_on=TODAY(),
            by=org.manager.user,
            rationale="Led the pricing launch.",
            job_title=title,
        )

    assert message in " ".join(error.value.message_dict["job_title"])
    org.report.refresh_from_db()
    assert (org.report.level.key, org.report.job_title) == ("pm", "Remi Report's title")
    assert org.report.assignments.count() == 1


# The page ----------------------------------------------------------------------------------


def page_url(person):
    return reverse("assessments:assign_level", kwargs={"pk": person.pk})


def placement(org, level_key, track_key="ic"):
    track = org.ladder.tracks.get(key=track_key)
    return f"{track.pk}:{org.ladder.levels.get(key=level_key).pk}"


def posted(org, person=None, **overrides):
    """What the page posts for `person` (the report by default): Senior PM, with the
    suggested title for it in the box."""
    person = person or org.report
    data = {
        "placement": placement(org, "senior-pm"),
        "effective_on": TODAY().isoformat(),
        "rationale": "Ran the pricing launch end to end.",
        "based_on": person.assignments.order_by("-effective_on", "-id").first().pk,
        "job_title": "Senior Product Manager",
        "title_for": placement(org, "senior-pm"),
    }
    data.update(overrides)
    return data


def test_the_page_suggests_the_next_levels_name_as_the_title(org, as_user):
    response = as_user(org.manager.user).get(page_url(org.report))

    form = response.context["form"]
    assert form.initial["job_title"] == "Senior Product Manager"
    assert form.initial["title_for"] == placement(org, "senior-pm")
    # "Remi Report's title" does not follow the level: changing it is offered, not ticked.
    assert form.initial["update_title"] is False
    titles = json.loads(form.fields["job_title"].widget.attrs["data-titles"])
    assert titles[placement(org, "staff-pm")] == "Staff Product Manager"
    assert titles[placement(org, "director", "management")] == "Director of Product"
    content = response.content.decode()
    assert "Change their job title too" in content
    assert 'src="/static/js/assign-level.js"' in content


def help_texts(response):
    """The help under the tick box, and under the title for each state of the box (the
    page shows the one that applies), as plain text."""
    content = response.content.decode().replace("&#x27;", "'")

    def text(start, end):
        return content.split(start, 1)[1].split(end, 1)[0]

    return {
        "box": text('<div id="id_update_title_helptext" class="form-text">', "</div>"),
        "applied": text('<span data-title-help="applied">', "</span>"),
        "not_applied": text('<span data-title-help="not-applied">', "</span>"),
    }


def test_the_help_says_what_each_state_of_the_box_does_with_the_title(org, as_user):
    response = as_user(org.manager.user).get(page_url(org.report))

    assert help_texts(response) == {
        "box": "Their title now: “Remi Report's title”. "
        "Picking another level changes the suggested title below, never this box.",
        "applied": "Saved as their job title, replacing “Remi Report's title”. "
        "Suggested from the level picked; edit it as you like.",
        "not_applied": "Not applied: tick “Change their job title too” to use this; "
        "otherwise their title stays “Remi Report's title”.",
    }
    content = response.content.decode()
    # Each control is described by its own help, which holds the texts for both states.
    assert 'aria-describedby="id_update_title_helptext" id="id_update_title"' in content
    assert 'aria-describedby="id_job_title_helptext" id="id_job_title"' in content
    # Without the script the title stays editable (ticking the box must be enough).
    assert "readonly" not in content.split('id="id_job_title"', 1)[0].rsplit("<input", 1)[1]


def test_without_a_title_the_box_starts_ticked_and_the_help_says_they_have_none(org, as_user):
    Employee.objects.filter(pk=org.report.pk).update(job_title="")

    response = as_user(org.manager.user).get(page_url(org.report))

    assert response.context["form"].initial["update_title"] is True
    assert help_texts(response) == {
        "box": "They have no title now. "
        "Picking another level changes the suggested title below, never this box.",
        "applied": "Saved as their job title (they have none now). "
        "Suggested from the level picked; edit it as you like.",
        "not_applied": "Not applied: tick “Change their job title too” to use this; "
        "otherwise they stay without a title.",
    }


def test_the_box_starts_ticked_only_when_their_title_follows_their_level(org, as_user):
    client = as_user(org.manager.user)
    for title, ticked in [
        ("Product Manager", True),
        ("Product Manager, Pricing", True),
        ("Product Manager Pricing", False),
        ("Senior Product Manager", False),  # another level's name
        ("Remi Report's title", False),
    ]:
        Employee.objects.filter(pk=org.report.pk).update(job_title=title)

        response = client.get(page_url(org.report))

        assert response.context["form"].initial["update_title"] is ticked, title
        assert ('id="id_update_title" checked' in response.content.decode()) is ticked, title


def test_a_page_shown_again_keeps_the_box_as_it_was_sent(org, as_user):
    """Not as it would start: the help shown follows the box, so the box must be kept."""
    client = as_user(org.manager.user)
    step_down = {"placement": placement(org, "apm")}

    Employee.objects.filter(pk=org.report.pk).update(job_title="Product Manager")  # ticked
    unticked = client.post(page_url(org.report), posted(org, **step_down))
    Employee.objects.filter(pk=org.report.pk).update(job_title="Remi Report's title")
    ticked = client.post(page_url(org.report), posted(org, update_title="on", **step_down))

    assert unticked.status_code == ticked.status_code == 400
    assert 'id="id_update_title" checked' not in unticked.content.decode()
    assert 'id="id_update_title" checked' in ticked.content.decode()


def test_the_current_title_is_shown_escaped(org, as_user):
    Employee.objects.filter(pk=org.report.pk).update(job_title="<b>PM</b>")

    content = as_user(org.manager.user).get(page_url(org.report)).content.decode()

    assert "Their title now: “&lt;b&gt;PM&lt;/b&gt;”." in content
    assert "replacing “&lt;b&gt;PM&lt;/b&gt;”." in content
    assert "otherwise their title stays “&lt;b&gt;PM&lt;/b&gt;”." in content
    assert "<b>PM</b>" not in content


def test_a_title_that_follows_the_level_is_ticked_and_keeps_its_team(org, as_user):
    Employee.objects.filter(pk=org.report.pk).update(job_title="Product Manager, Pricing")

    form = as_user(org.manager.user).get(page_url(org.report)).context["form"]

    assert form.initial["update_title"] is True
    assert form.initial["job_title"] == "Senior Product Manager, Pricing"
    titles = json.loads(form.fields["job_title"].widget.attrs["data-titles"])
    assert titles[placement(org, "apm")] == "Associate Product Manager, Pricing"


def test_ticked_the_title_is_updated_with_the_level(org, as_user):
    client = as_user(org.manager.user)

    response = client.post(
        page_url(org.report),
        posted(org, update_title="on", job_title=" Senior Product Manager, Pricing "),
        follow=True,
    )

    assert "Their job title is now “Senior Product Manager, Pricing”." in (
        response.content.decode().replace("&#x27;", "'")
    )
    org.report.refresh_from_db()
    assert org.report.level.key == "senior-pm"
    assert org.report.job_title == "Senior Product Manager, Pricing"


def test_unticked_the_title_is_kept(org, as_user):
    response = as_user(org.manager.user).post(page_url(org.report), posted(org), follow=True)

    assert b"Remi Report is now Senior Product Manager." in response.content
    assert b"job title is now" not in response.content
    org.report.refresh_from_db()
    assert org.report.level.key == "senior-pm"
    assert org.report.job_title == "Remi Report's title"


def test_without_the_script_the_suggestion_follows_the_level_chosen(org, as_user):
    """The box still holds the suggestion for Senior PM, but Staff PM was chosen."""
    as_user(org.manager.user).post(
        page_url(org.report),
        posted(org, update_title="on", placement=placement(org, "staff-pm")),
    )

    org.report.refresh_from_db()
    assert (org.report.level.key, org.report.job_title) == ("staff-pm", "Staff Product Manager")


def test_a_typed_title_is_never_replaced_by_a_suggestion(org, as_user):
    as_user(org.manager.user).post(
        page_url(org.report),
        posted(
            org,
            update_title="on",
            placement=placement(org, "staff-pm"),
            job_title="Staff Product Manager, Pricing",
        ),
    )

    org.report.refresh_from_db()
    assert org.report.job_title == "Staff Product Manager, Pricing"


def test_a_page_shown_again_shows_the_suggestion_for_the_level_chosen(org, as_user):
    response = as_user(org.manager.user).post(
        page_url(org.report),
        posted(org, update_title="on", placement=placement(org, "apm")),  # a step down
    )

    assert response.status_code == 400
    assert b"Tick the box to confirm the step down." in response.content
    assert 'value="Associate Product Manager"' in response.content.decode()
    assert response.context["form"].data["title_for"] == placement(org, "apm")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"job_title": "   "}, "Enter their new job title"),
        ({"job_title": "Senior PM\x07"}, "control character U+0007"),
        ({"job_title": "x" * 151}, "at most 150 characters"),
    ],
)
def test_a_bad_title_is_refused_and_nothing_is_written(org, as_user, overrides, message):
    response = as_user(org.manager.user).post(
        page_url(org.report), posted(org, update_title="on", **overrides)
    )

    assert response.status_code == 400
    [error] = response.context["form"].errors["job_title"]
    assert message in error
    org.report.refresh_from_db()
    assert (org.report.level.key, org.report.job_title) == ("pm", "Remi Report's title")
    assert org.report.assignments.count() == 1


def test_a_bad_title_left_unticked_does_not_stop_the_level(org, as_user):
    response = as_user(org.manager.user).post(page_url(org.report), posted(org, job_title="   "))

    assert response.status_code == 302
    org.report.refresh_from_db()
    assert (org.report.level.key, org.report.job_title) == ("senior-pm", "Remi Report's title")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("person", 403),
        ("peer", 404),
        ("unrelated_manager", 404),
        ("outsider", 404),
    ],
)
def test_only_managers_and_hr_change_a_title_with_the_level(org, as_user, role, status):
    user = {
        "anonymous": None,
        "person": org.report.user,
        "peer": org.teammate.user,
        "unrelated_manager": org.other_manager.user,
        "outsider": org.outsider,
    }[role]

    response = as_user(user).post(
        page_url(org.report), posted(org, update_title="on", job_title="Chief of Everything")
    )

    assert response.status_code == status
    org.report.refresh_from_db()
    assert (org.report.level.key, org.report.job_title) == ("pm", "Remi Report's title")


@pytest.mark.parametrize("who", ["manager", "boss", "hr"])
def test_managers_above_and_hr_change_a_title_with_the_level(org, as_user, who):
    user = {"manager": org.manager.user, "boss": org.boss.user, "hr": org.hr}[who]

    response = as_user(user).post(
        page_url(org.report), posted(org, update_title="on", job_title="Senior PM, Pricing")
    )

    assert response.status_code == 302
    org.report.refresh_from_db()
    assert (org.report.level.key, org.report.job_title) == ("senior-pm", "Senior PM, Pricing")

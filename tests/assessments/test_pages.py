"""My page, a person's page, assigning a level, and the team page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import services as people
from assessments.models import LevelAssignment

from ..conftest import place

pytestmark = pytest.mark.django_db


def test_home_sends_employees_to_their_page(org, as_user):
    response = as_user(org.report.user).get("/")

    assert response.url == reverse("assessments:me")


def test_me_shows_level_expectations_and_what_changes_next(org, as_user):
    response = as_user(org.report.user).get(reverse("assessments:me"))

    content = response.content.decode()
    assert "Product Manager · L4" in content
    assert "Own a product area with multiple features" in content  # expected now
    assert "Senior Product Manager" in content  # next level
    assert "next on both tracks" in content  # Senior PM: one step, two tracks
    assert "was: Stakeholder management" in content  # what changed
    assert "Placed on the ladder." in content  # history
    assert "Assign level" not in content  # the person cannot assign their own level


def test_me_at_the_fork_offers_both_next_levels(org, as_user):
    person = place(org.ladder, "senior", "Sen Ior", "senior-pm", manager=org.manager)

    response = as_user(person.user).get(reverse("assessments:me"))

    steps = response.context["placement"].next_steps
    assert [step.level.key for step in steps] == ["staff-pm", "pm-manager"]  # own track first
    assert steps[0].on_own_track


def test_me_at_the_top_says_so(org, as_user):
    person = place(org.ladder, "cpo", "Chi Po", "cpo", "management")

    response = as_user(person.user).get(reverse("assessments:me"))

    assert b"is the top of the Management track" in response.content


def test_me_without_a_place_on_the_ladder(org, as_user):
    response = as_user(org.outsider).get(reverse("assessments:me"))

    assert b"not placed on a career ladder yet" in response.content


def test_navigation_shows_team_only_to_managers_and_hr(org, as_user):
    assert b">Team</a>" not in as_user(org.report.user).get(reverse("assessments:me")).content
    assert b">Team</a>" in as_user(org.manager.user).get(reverse("assessments:me")).content
    assert b">Team</a>" in as_user(org.hr).get(reverse("levels:ladders")).content


def test_person_page_for_the_manager_offers_assign(org, as_user):
    response = as_user(org.manager.user).get(
        reverse("assessments:person", kwargs={"pk": org.report.pk})
    )

    assert (
        reverse("assessments:assign_level", kwargs={"pk": org.report.pk}).encode()
        in response.content
    )
    assert b"Remi Report" in response.content


def placement(org, level_key, track_key="ic"):
    track = org.ladder.tracks.get(key=track_key)
    return f"{track.pk}:{org.ladder.levels.get(key=level_key).pk}"


def assign_form(org, person=None, **overrides):
    """What the assign page posts for `person` (the report by default), made on a page
    showing their latest assignment."""
    person = person or org.report
    data = {
        "placement": placement(org, "senior-pm"),
        "effective_on": timezone.localdate().isoformat(),
        "rationale": "Ran the pricing launch end to end.",
        "based_on": person.assignments.order_by("-effective_on", "-id").first().pk,
    }
    data.update(overrides)
    return data


def assign_url(person):
    return reverse("assessments:assign_level", kwargs={"pk": person.pk})


def test_assign_form_suggests_the_next_level_grouped_by_track(org, as_user):
    response = as_user(org.manager.user).get(assign_url(org.report))

    assert response.context["form"].initial["placement"] == placement(org, "senior-pm")
    content = response.content.decode()
    assert '<optgroup label="Individual Contributor track">' in content
    assert '<optgroup label="Management track">' in content
    assert "Product Manager (L4) (current)" in content
    assert f'max="{timezone.localdate().isoformat()}"' in content


def test_manager_assigns_the_next_level(org, as_user):
    client = as_user(org.manager.user)

    response = client.post(assign_url(org.report), assign_form(org), follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "assessments:person", kwargs={"pk": org.report.pk}
    )
    assert b"Remi Report is now Senior Product Manager." in response.content
    org.report.refresh_from_db()
    assert org.report.level.key == "senior-pm"
    assert org.report.assignments.first().assigned_by == org.manager.user


def test_hr_can_assign_a_level(org, as_user):
    client = as_user(org.hr)

    response = client.post(assign_url(org.stranger), assign_form(org, org.stranger))

    assert response.status_code == 302
    org.stranger.refresh_from_db()
    assert org.stranger.level.key == "senior-pm"


def test_a_step_down_needs_confirming(org, as_user):
    client = as_user(org.manager.user)
    data = assign_form(org, placement=placement(org, "apm"))

    refused = client.post(assign_url(org.report), data)
    confirmed = client.post(assign_url(org.report), {**data, "step_down": "on"})

    assert refused.status_code == 400
    assert b"Tick the box to confirm the step down." in refused.content
    assert b'type="checkbox" name="step_down"' in refused.content
    assert confirmed.status_code == 302
    org.report.refresh_from_db()
    assert org.report.level.key == "apm"


def test_moving_to_the_other_track_at_the_same_level_is_fine(org, as_user):
    response = as_user(org.manager.user).post(
        assign_url(org.report), assign_form(org, placement=placement(org, "pm", "management"))
    )

    assert response.status_code == 302
    org.report.refresh_from_db()
    assert org.report.track.key == "management"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"effective_on": "2999-01-01"}, "effective_on", "today or earlier"),
        ({"effective_on": "yesterday"}, "effective_on", "Enter a valid date."),
        ({"rationale": "   "}, "rationale", "This field is required."),
        ({"rationale": "x" * 5001}, "rationale", "at most 5000 characters"),
        ({"placement": "director"}, "placement", "Select a valid choice."),
        ({"placement": "TRACK:ic:director"}, "placement", "Select a valid choice."),
        ({"placement": "TRACK:ic:pm"}, "placement", "already Product Manager"),
        ({"placement": "999:999"}, "placement", "Select a valid choice."),
    ],
)
def test_bad_input_is_explained_and_nothing_saved(org, as_user, overrides, field, message):
    if overrides.get("placement", "").startswith("TRACK:"):
        _, track, level = overrides["placement"].split(":")
        overrides["placement"] = placement(org, level, track)
    client = as_user(org.manager.user)

    response = client.post(assign_url(org.report), assign_form(org, **overrides))

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert response.context["form"].data["rationale"] == assign_form(org, **overrides)["rationale"]
    assert LevelAssignment.objects.filter(employee=org.report).count() == 1


# The team page -----------------------------------------------------------------------------


def test_team_lists_direct_reports_or_everyone_below(org, as_user):
    client = as_user(org.boss.user)

    direct = client.get(reverse("assessments:team"))
    everyone = client.get(reverse("assessments:team"), {"scope": "all"})

    assert {p.full_name for p in direct.context["page"]} == {"Mina Manager", "Otto Other"}
    assert len(everyone.context["page"]) == 5
    assert b">Time in level<" not in direct.content
    assert b"In level" in direct.content


def test_team_filters_by_level_track_and_name(org, as_user):
    client = as_user(org.boss.user)
    pm = org.ladder.levels.get(key="pm")

    by_level = client.get(reverse("assessments:team"), {"scope": "all", "level": pm.pk})
    by_name = client.get(reverse("assessments:team"), {"scope": "all", "q": "remi"})
    by_track = client.get(
        reverse("assessments:team"),
        {"scope": "all", "track": org.ladder.tracks.get(key="management").pk},
    )

    assert {p.full_name for p in by_level.context["page"]} == {"Remi Report", "Stan Stranger"}
    assert [p.full_name for p in by_name.context["page"]] == ["Remi Report"]
    assert {p.full_name for p in by_track.context["page"]} == {"Mina Manager", "Otto Other"}


def test_team_with_no_match_says_so(org, as_user):
    response = as_user(org.boss.user).get(reverse("assessments:team"), {"q": "nobody-like-this"})

    assert b"Nobody matches these filters" in response.content


def test_team_without_reports_sends_you_to_your_page(org, as_user):
    response = as_user(org.report.user).get(reverse("assessments:team"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("assessments:me")
    assert b"nobody does yet" in response.content


def test_team_ignores_a_bad_filter_but_keeps_the_good_ones(org, as_user):
    response = as_user(org.boss.user).get(
        reverse("assessments:team"), {"scope": "all", "level": "999999", "q": "remi"}
    )

    assert [p.full_name for p in response.context["page"]] == ["Remi Report"]
    assert b"were ignored: Level." in response.content


def test_team_hides_people_who_left(org, as_user):
    org.teammate.is_active = False
    org.teammate.save()

    response = as_user(org.manager.user).get(reverse("assessments:team"))

    assert [p.full_name for p in response.context["page"]] == ["Remi Report"]


def test_team_is_paginated(org, as_user):
    for n in range(30):
        place(org.ladder, f"p{n}", f"Person {n:02}", "apm", manager=org.manager, months_ago=1)
    client = as_user(org.manager.user)

    first = client.get(reverse("assessments:team"))
    second = client.get(reverse("assessments:team"), {"page": 2})
    beyond = client.get(reverse("assessments:team"), {"page": 99})

    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 7
    assert beyond.context["page"].number == 2  # past the end shows the last page
    assert b"Page 1 of 2" in first.content


@pytest.mark.parametrize("scope", ["direct", "all"])
def test_team_query_count_is_the_same_for_5_and_200_people(
    org, as_user, scope, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(org.manager.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("assessments:team"), {"scope": scope})
        assert response.status_code == 200
        return len(queries)

    for n in range(3):
        place(org.ladder, f"s{n}", f"Small {n}", "apm", manager=org.manager)
    count()  # the first visit caches the ladder's structure (levels.structure)
    small = count()
    sub = place(org.ladder, "sub", "Sub Manager", "pm-manager", "management", org.manager)
    for n in range(195):
        place(
            org.ladder,
            f"l{n}",
            f"Large {n}",
            "apm",
            manager=sub if n % 2 else org.manager,
            months_ago=n % 20,
        )
    count()  # counts the new people's readiness, kept from then on (`assessments.kept`)
    large = count()

    assert small == large
    # session, user, HR group, employee (navigation), filter choices (levels, tracks),
    # pending wins, count, the page of people, their level histories, the ladder's tracks
    # and track levels (next levels), expectations per next level, evidence per person
    assert large <= 14


def test_me_query_count_does_not_grow_with_the_team(org, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(org.manager.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("assessments:me"))
        return len(queries)

    count()  # the first visit caches the ladder's structure (levels.structure)
    small = count()
    for n in range(200):
        place(org.ladder, f"m{n}", f"Member {n}", "apm", manager=org.manager)
    assert count() == small


def test_person_page_query_count_does_not_grow_with_history(org, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments import services

    client = as_user(org.manager.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("assessments:person", kwargs={"pk": org.report.pk}))
        return len(queries)

    count()  # the first visit caches the ladder's structure (levels.structure)
    small = count()
    tracks = list(org.ladder.tracks.all())  # PM sits on both: move between them
    for days in range(30, 0, -1):
        services.assign_level(
            employee=org.report,
            level=org.report.level,
            track=tracks[(days + 1) % 2],
            effective_on=timezone.localdate() - datetime.timedelta(days=days),
            by=org.manager.user,
            rationale="Review",
        )
    assert count() == small


def test_a_level_assigned_from_a_stale_page_is_refused(org, as_user):
    """The boss assigned a level while the manager's page was open: the manager's save is
    refused, says what the level is now, and keeps what they typed."""
    opened = assign_form(org, rationale="My careful rationale.")
    people.assign_level(
        employee=org.report,
        level=org.ladder.levels.get(key="senior-pm"),
        track=org.report.track,
        effective_on=timezone.localdate(),
        by=org.boss.user,
    )

    response = as_user(org.manager.user).post(
        assign_url(org.report), {**opened, "placement": placement(org, "staff-pm")}
    )

    assert response.status_code == 409
    content = response.content.decode()
    assert "level changed after you opened this page" in content
    assert "they are now Senior Product Manager" in content
    assert "My careful rationale." in content
    org.report.refresh_from_db()
    assert org.report.level.key == "senior-pm"
    # The page now shows the latest level, so saving again goes through.
    again = response.context["form"].data.copy()
    assert as_user(org.manager.user).post(assign_url(org.report), again).status_code == 302
    org.report.refresh_from_db()
    assert org.report.level.key == "staff-pm"


def test_an_assign_form_without_its_page_stamp_is_refused(org, as_user):
    data = assign_form(org)
    del data["based_on"]

    response = as_user(org.manager.user).post(assign_url(org.report), data)

    assert response.status_code == 400
    org.report.refresh_from_db()
    assert org.report.level.key == "pm"

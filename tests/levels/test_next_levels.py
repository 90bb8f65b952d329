"""One rule for "the next level on a track" (`levels.selectors.next_levels` and
`next_steps`), and every page that says what comes next agrees with it: retired levels are
stepped over, someone on a retired level or track still has a next step, and other retired
tracks are not offered."""

import pytest
from django.urls import reverse

from assessments import evidence, reviews, selectors
from levels import services
from levels.models import Level, Track
from levels.selectors import next_levels, next_steps

pytestmark = pytest.mark.django_db


def level(ladder, key):
    return Level.objects.get(ladder=ladder, key=key)


def keys(steps):
    return [step.level.key for step in steps]


def test_next_levels_maps_each_place_on_each_track(default_ladder):
    following = next_levels([default_ladder])
    ic = default_ladder.tracks.get(key="ic")
    management = default_ladder.tracks.get(key="management")

    assert following[(ic.pk, level(default_ladder, "senior-pm").pk)].key == "staff-pm"
    assert following[(management.pk, level(default_ladder, "senior-pm").pk)].key == "pm-manager"
    assert (ic.pk, level(default_ladder, "distinguished-pm").pk) not in following


def test_senior_pm_has_one_next_level_a_track(default_ladder):
    steps = next_steps(
        default_ladder,
        level(default_ladder, "senior-pm"),
        own_track_id=default_ladder.tracks.get(key="management").pk,
    )

    assert keys(steps) == ["pm-manager", "staff-pm"]  # their own track's first


def test_a_retired_next_level_is_stepped_over(default_ladder):
    services.retire(Level.objects.filter(ladder=default_ladder, key="staff-pm"))
    ic = default_ladder.tracks.get(key="ic")

    following = next_levels([default_ladder])
    steps = next_steps(default_ladder, level(default_ladder, "senior-pm"), own_track_id=ic.pk)

    assert following[(ic.pk, level(default_ladder, "senior-pm").pk)].key == "principal-pm"
    assert keys(steps) == ["principal-pm", "pm-manager"]


def test_someone_on_a_retired_level_still_has_a_next_step(default_ladder):
    services.retire(Level.objects.filter(ladder=default_ladder, key="pm"))
    ic = default_ladder.tracks.get(key="ic")

    steps = next_steps(default_ladder, level(default_ladder, "pm"), own_track_id=ic.pk)

    assert keys(steps) == ["senior-pm"]


def test_a_retired_track_counts_only_for_the_people_on_it(default_ladder):
    services.retire(Track.objects.filter(ladder=default_ladder, key="management"))
    management = default_ladder.tracks.get(key="management")
    ic = default_ladder.tracks.get(key="ic")
    senior = level(default_ladder, "senior-pm")

    assert keys(next_steps(default_ladder, senior, own_track_id=ic.pk)) == ["staff-pm"]
    assert keys(next_steps(default_ladder, senior, own_track_id=management.pk)) == [
        "pm-manager",
        "staff-pm",
    ]


def test_every_page_agrees_for_someone_whose_level_is_retired(org, as_user):
    """Remi's level (PM) is retired: the person page, the review picker, the evidence
    picker, the assign form and the packet all still offer Senior PM next."""
    services.retire(Level.objects.filter(ladder=org.ladder, key="pm"))
    remi = type(org.report).objects.select_related("ladder", "level", "track").get(pk=org.report.pk)
    senior = level(org.ladder, "senior-pm")
    client = as_user(org.manager.user)

    placement = selectors.placement(remi)
    targets = reviews.review_targets(remi)
    choices = evidence.expectation_choices(remi)
    assign = client.get(reverse("assessments:assign_level", args=[remi.pk]))
    packet = client.get(reverse("assessments:packet", args=[remi.pk]))

    assert [step.level.key for step in placement.next_steps] == ["senior-pm"]
    assert {t.level.key for t in targets} == {"senior-pm"}  # their own level is retired
    assert any(label.startswith("Senior Product Manager") for label, _ in choices)
    assert assign.context["form"].initial["placement"] == f"{remi.track_id}:{senior.pk}"
    assert packet.context["target"] == senior

"""The change pages of ladder data cost the same queries however big the ladder: the rows
of each list come in one query, and the choices of a list's pickers in one query for all
its rows. (Their speed is measured by `scripts/bench.py`, not here.)"""

import pytest
from django.urls import reverse

from levels.models import (
    Aspect,
    AspectValue,
    Expectation,
    FAQEntry,
    Level,
    PromotionBlocker,
    PromotionCriterion,
    TrackLevel,
)

from ..factories import make_hr_user

pytestmark = pytest.mark.django_db

# Every page: the session, its user, the check that they are HR (the admin's gate), the
# object, the user's and their groups' permissions, and the person signed in (for the
# navigation); the page's own queries follow.
EVERY_PAGE = 7
PAGE_QUERIES = {
    # categories, levels, tracks, promotion criteria, promotion blockers, FAQ entries
    "ladder": EVERY_PAGE + 6,
    # expectations with their categories, comparison values with their aspects and
    # levels; the choices of the category and aspect pickers (of the level's own
    # ladder); the choices of the ladder picker
    "level": EVERY_PAGE + 5,
    # the track's levels with their levels; the choices of their level picker; the
    # choices of the ladder picker
    "track": EVERY_PAGE + 3,
    # the comparison values with their aspects and levels; the choices of their level
    # picker; the choices of the ladder picker
    "aspect": EVERY_PAGE + 3,
}


def grow(ladder, times):
    """`times` more levels (each on the first track, with a comparison value for every
    aspect), expectations on the PM level, FAQ entries, promotion criteria and blockers."""
    pm = ladder.levels.get(key="pm")
    category = ladder.categories.first()
    track = ladder.tracks.get(key="ic")
    levels = Level.objects.bulk_create(
        Level(ladder=ladder, key=f"x{i}", name=f"Extra {i}", short_name=f"X{i}", position=100 + i)
        for i in range(times)
    )
    TrackLevel.objects.bulk_create(
        TrackLevel(track=track, level=level, position=100 + i) for i, level in enumerate(levels)
    )
    new_aspects = [
        Aspect.objects.create(ladder=ladder, name=f"Extra aspect {i}", position=100 + i)
        for i in range(3)
    ]
    AspectValue.objects.bulk_create(
        [
            *(AspectValue(aspect=aspect, level=pm, value="v") for aspect in new_aspects),
            *(
                AspectValue(aspect=aspect, level=level, value="v")
                for aspect in ladder.aspects.all()
                for level in levels
            ),
        ]
    )
    Expectation.objects.bulk_create(
        Expectation(level=pm, category=category, text=f"Extra {i}", position=100 + i)
        for i in range(times)
    )
    for model, field in [
        (FAQEntry, "question"),
        (PromotionCriterion, "name"),
        (PromotionBlocker, "text"),
    ]:
        model.objects.bulk_create(
            model(ladder=ladder, position=100 + i, **{field: f"Extra {i}"})
            for i in range(times // 4)
        )


def page_of(ladder, model):
    obj = {
        "ladder": ladder,
        "level": ladder.levels.get(key="pm"),
        "track": ladder.tracks.get(key="ic"),
        "aspect": ladder.aspects.first(),
    }[model]
    return reverse(f"admin:levels_{model}_change", args=[obj.pk])


def rows(response):
    return sum(len(inline.formset.forms) for inline in response.context["inline_admin_formsets"])


@pytest.mark.parametrize("model", list(PAGE_QUERIES))
def test_a_change_page_costs_the_same_queries_for_a_small_and_a_large_ladder(
    default_ladder, client, django_assert_num_queries, model
):
    client.force_login(make_hr_user())
    url = page_of(default_ladder, model)
    client.get(url)  # content types and the like, cached for the process from here on

    with django_assert_num_queries(PAGE_QUERIES[model]):
        small = client.get(url)
    grow(default_ladder, 80)
    with django_assert_num_queries(PAGE_QUERIES[model]):
        large = client.get(url)

    assert small.status_code == large.status_code == 200
    assert rows(large) >= rows(small) + 20

"""The next levels kept as rows (`NextLevel`, written by `structure.keep_next_levels`) are
the ladder's own rule (`next_levels`) at every structure version."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from levels.models import Expectation, Ladder, NextLevel
from levels.selectors import next_levels
from levels.structure import keep_next_levels

pytestmark = pytest.mark.django_db


def _ladders():
    return list(Ladder.objects.select_related("structure_version"))


def _rows():
    return {
        (row.track_id, row.level_id): (row.next_level_id, row.expectations, row.next_expectations)
        for row in NextLevel.objects.all()
    }


def _expected(ladder):
    following = next_levels([ladder])
    counts = {
        level.pk: Expectation.objects.active().filter(level=level).count()
        for level in ladder.levels.all()
    }
    expected = {}
    for track in ladder.tracks.prefetch_related("track_levels"):
        for place in track.track_levels.all():
            after = following.get((track.pk, place.level_id))
            expected[(track.pk, place.level_id)] = (
                after.pk if after else None,
                counts[place.level_id],
                counts[after.pk] if after else 0,
            )
    return expected


def test_the_rows_are_the_ladders_rule(default_ladder):
    keep_next_levels(_ladders())
    assert _rows() == _expected(default_ladder)
    assert any(after is None for after, _, _ in _rows().values())  # the tops of the tracks


def test_rows_up_to_date_cost_one_query(default_ladder):
    keep_next_levels(_ladders())
    ladders = _ladders()
    with CaptureQueriesContext(connection) as queries:
        keep_next_levels(ladders)
    assert len(queries) == 1


def test_a_change_to_the_ladder_rewrites_them(default_ladder):
    keep_next_levels(_ladders())
    pm = default_ladder.levels.get(key="pm")
    senior = default_ladder.levels.get(key="senior-pm")
    senior.is_active = False  # retired: the step after PM goes past it
    senior.save()
    retired_expectation = Expectation.objects.filter(level=pm).first()
    retired_expectation.is_active = False
    retired_expectation.save()

    keep_next_levels(_ladders())

    assert _rows() == _expected(default_ladder)
    ic = default_ladder.tracks.get(key="ic")
    after, expectations, _ = _rows()[(ic.pk, pm.pk)]
    assert after not in (None, senior.pk)
    assert expectations == Expectation.objects.active().filter(level=pm).count()

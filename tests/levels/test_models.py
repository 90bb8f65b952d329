"""Integrity of ladder data, held by the database."""

import pytest
from django.db import IntegrityError, transaction

from levels.models import Category, Level, Track, TrackLevel, split_lines

from ..factories import (
    CategoryFactory,
    LadderFactory,
    LevelFactory,
    TrackFactory,
    TrackLevelFactory,
)

pytestmark = pytest.mark.django_db


def test_duplicate_level_key_in_a_ladder_is_refused():
    level = LevelFactory(key="pm")

    with pytest.raises(IntegrityError), transaction.atomic():
        LevelFactory(ladder=level.ladder, key="pm")

    assert Level.objects.count() == 1


def test_same_level_key_in_two_ladders_is_fine():
    LevelFactory(key="pm")
    LevelFactory(key="pm")

    assert Level.objects.filter(key="pm").count() == 2


def test_track_levels_with_equal_positions_keep_a_stable_order():
    # Positions may tie while rows are being reordered; the older row then comes first.
    first = TrackLevelFactory(position=0)
    second = TrackLevelFactory(track=first.track, position=0)

    assert list(first.track.track_levels.all()) == [first, second]


def test_a_level_sits_on_a_track_only_once():
    first = TrackLevelFactory(position=0)

    with pytest.raises(IntegrityError), transaction.atomic():
        TrackLevelFactory(track=first.track, level=first.level, position=1)


def test_a_level_can_sit_on_several_tracks():
    level = LevelFactory()
    for position, track in enumerate([TrackFactory(ladder=level.ladder) for _ in range(2)]):
        TrackLevelFactory(track=track, level=level, position=position)

    assert set(level.tracks.all()) == set(Track.objects.all())


def test_duplicate_category_and_track_keys_are_refused():
    ladder = LadderFactory()
    CategoryFactory(ladder=ladder, key="skills")
    TrackFactory(ladder=ladder, key="ic")

    with pytest.raises(IntegrityError), transaction.atomic():
        CategoryFactory(ladder=ladder, key="skills")
    with pytest.raises(IntegrityError), transaction.atomic():
        TrackFactory(ladder=ladder, key="ic")

    assert Category.objects.count() == 1


def test_constraint_messages_reach_model_validation():
    level = LevelFactory(key="pm")
    duplicate = Level(ladder=level.ladder, key="pm", name="x", short_name="x", summary="x")

    with pytest.raises(Exception, match="already has a level with this key"):
        duplicate.validate_constraints()


def test_deleting_a_ladder_deletes_its_parts():
    level = TrackLevelFactory().level

    level.ladder.delete()

    assert not Level.objects.exists()
    assert not TrackLevel.objects.exists()


def test_best_for_and_challenges_read_one_item_per_line():
    track = TrackFactory(best_for="  First\n\nSecond  \n", challenges="")

    assert track.best_for_list == ["First", "Second"]
    assert track.challenges_list == []
    assert split_lines("a\r\nb") == ["a", "b"]


def test_a_ladder_slug_must_be_a_valid_ladder_file_key():
    from django.core.exceptions import ValidationError

    from levels.models import Ladder

    with pytest.raises(ValidationError, match="lowercase"):
        Ladder(slug="PM", name="Product").full_clean()
    Ladder(slug="pm-2", name="Product").full_clean()

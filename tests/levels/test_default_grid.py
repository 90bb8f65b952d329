"""The default ladder's comparison grid is complete: every aspect has a value at every
active level, so the comparison page never shows a blank cell for the shipped ladder."""

import itertools

import pytest
import yaml

from levels import ladderfile, selectors, services
from levels.models import AspectValue

from .ladderdata import as_exported

ASPECTS = [
    "Primary Focus",
    "Time Horizon",
    "Scope",
    "Stakeholders",
    "Success Metric",
    "Key Skill",
]


@pytest.fixture
def spec():
    path = services.DEFAULT_LADDER_FILE
    return ladderfile.read(path.read_bytes(), name=path.name)


def test_every_aspect_has_a_value_at_every_active_level(spec):
    active = [level["key"] for level in spec["levels"] if level["active"]]

    assert [aspect["aspect"] for aspect in spec["comparison"]] == ASPECTS
    for aspect in spec["comparison"]:
        missing = [key for key in active if not aspect["values"].get(key)]
        assert missing == [], f"{aspect['aspect']} has no value at {missing}"


def test_values_are_short_phrases(spec):
    values = [value for aspect in spec["comparison"] for value in aspect["values"].values()]

    assert len(values) == len(ASPECTS) * 10
    assert all(len(value) <= ladderfile.MAX_VALUE and "\n" not in value for value in values)


def test_the_tracks_never_repeat_a_value_from_one_step_to_the_next(spec):
    """Each step up a track reads as a change in at least most aspects."""
    tracks = {track["key"]: track["levels"] for track in spec["tracks"]}
    for levels in tracks.values():
        for lower, higher in itertools.pairwise(levels):
            same = [
                aspect["aspect"]
                for aspect in spec["comparison"]
                if aspect["values"][lower] == aspect["values"][higher]
            ]
            assert same == [], f"{lower} -> {higher} reads the same for {same}"


@pytest.mark.django_db
def test_the_loaded_ladder_has_the_whole_grid():
    ladder = services.load_default_ladder().ladder

    cells = AspectValue.objects.filter(aspect__ladder=ladder, level__is_active=True)

    assert cells.count() == ladder.aspects.count() * ladder.levels.filter(is_active=True).count()
    assert ladder.aspects.count() == len(ASPECTS)
    assert not cells.filter(value="").exists()


@pytest.mark.django_db
def test_the_default_ladder_round_trips_with_its_grid(spec):
    ladder = services.load_default_ladder().ladder

    exported = ladderfile.dump(selectors.ladder_spec(ladder), "yaml")

    assert ladderfile.read(exported) == spec
    raw = yaml.safe_load(services.DEFAULT_LADDER_FILE.read_text(encoding="utf-8"))
    assert yaml.safe_load(exported)["comparison"] == as_exported(raw)["comparison"]

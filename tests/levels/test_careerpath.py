"""Geometry of the career-path picture."""

import pytest

from levels import careerpath, selectors

from ..factories import build_ladder

pytestmark = pytest.mark.django_db


def by_key(picture):
    return {node.level.key: node for node in picture.nodes}


def test_shared_levels_are_drawn_once_then_the_tracks_fork(default_ladder):
    picture = careerpath.layout(selectors.track_paths(default_ladder))

    nodes = by_key(picture)
    assert len(picture.nodes) == 10  # apm, pm, senior-pm once; 3 IC and 4 management after
    assert nodes["apm"].y == nodes["pm"].y == nodes["senior-pm"].y
    assert nodes["staff-pm"].y < nodes["senior-pm"].y < nodes["pm-manager"].y
    assert nodes["staff-pm"].x == nodes["pm-manager"].x > nodes["senior-pm"].x
    assert len(picture.edges) == 9  # one line into every level but the first
    assert [label.text for label in picture.labels] == ["Individual Contributor", "Management"]
    assert all(node.x + picture.box_width <= picture.width for node in picture.nodes)
    assert all(node.y + picture.box_height <= picture.height for node in picture.nodes)


def test_tall_layout_runs_down_the_page(default_ladder):
    picture = careerpath.layout(selectors.track_paths(default_ladder), tall=True)

    nodes = by_key(picture)
    assert nodes["apm"].x == nodes["senior-pm"].x
    assert nodes["apm"].y < nodes["pm"].y < nodes["senior-pm"].y < nodes["staff-pm"].y
    assert nodes["staff-pm"].x < nodes["pm-manager"].x
    assert picture.height > picture.width


def test_current_level_is_marked(default_ladder):
    level = default_ladder.levels.get(key="director")

    picture = careerpath.layout(selectors.track_paths(default_ladder), current=level)

    assert [node.level.key for node in picture.nodes if node.current] == ["director"]


def test_single_track_ladder_is_one_row():
    ladder = build_ladder(levels=4, tracks=1)

    picture = careerpath.layout(selectors.track_paths(ladder))

    assert len({node.y for node in picture.nodes}) == 1
    assert len(picture.nodes) == 4


def test_no_tracks_means_no_picture():
    ladder = build_ladder(levels=2, tracks=0)

    assert careerpath.layout(selectors.track_paths(ladder)) is None

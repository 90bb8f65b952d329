"""
Reads of the ladder, each with its related rows loaded up front, so that a page costs the
same number of queries however many levels, tracks and expectations a ladder has.

The reads for the ladder pages take the ladders the viewer may see
(`assessments.access.visible_ladders`): a draft or a retired ladder is 404 for anyone else.
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from . import ladderfile
from .models import Category, Expectation, Ladder, Level, Track, TrackLevel


def ladders_with_counts(ladders=None):
    """The `ladders` (default: all), with how many active levels and tracks each has."""
    ladders = Ladder.objects.all() if ladders is None else ladders
    return ladders.annotate(
        level_count=Count("levels", filter=Q(levels__is_active=True), distinct=True),
        track_count=Count("tracks", filter=Q(tracks__is_active=True), distinct=True),
    )


def _tracks_with_levels():
    return Track.objects.prefetch_related(
        Prefetch("track_levels", queryset=TrackLevel.objects.select_related("level"))
    )


@dataclass
class TrackPath:
    """A track and its levels in order."""

    track: Track
    levels: list


def track_paths(ladder, *, include_retired=False):
    """The ladder's tracks, each with its ordered levels (2 queries); retired tracks and
    levels only with `include_retired`."""
    paths = []
    tracks = _tracks_with_levels().filter(ladder=ladder)
    if not include_retired:
        tracks = tracks.active()
    for track in tracks:
        levels = [tl.level for tl in track.track_levels.all()]
        if not include_retired:
            levels = [level for level in levels if level.is_active]
        paths.append(TrackPath(track=track, levels=levels))
    return paths


# The next level on a track -------------------------------------------------------------------
# One rule, used by every page that says what comes next (a person's page, readiness, the
# team page, reviews, the evidence picker, the packet): the next level on a track is the
# first level *in use* after the person's level on that track. Retired levels are stepped
# over, never offered; someone on a retired level, or on a retired track, still has a next
# step; other retired tracks are not offered.


def _following(levels, level):
    """The first level in use after `level` in the ordered `levels`, or None."""
    if level not in levels:
        return None
    after = levels[levels.index(level) + 1 :]
    return next((candidate for candidate in after if candidate.is_active), None)


def next_levels(ladders):
    """{(track pk, level pk): the next level on that track} for every track and level of
    `ladders` (2 queries a ladder)."""
    following = {}
    for ladder in ladders:
        following.update(next_levels_on(track_paths(ladder, include_retired=True)))
    return following


def next_levels_on(paths):
    """`next_levels` of one ladder from its `paths` (`track_paths(ladder,
    include_retired=True)`, or a cached copy: `levels.structure`)."""
    following = {}
    for path in paths:
        for level in path.levels:
            after = _following(path.levels, level)
            if after is not None:
                following[(path.track.pk, level.pk)] = after
    return following


@dataclass
class NextLevel:
    """A next level, and the tracks it is next on."""

    level: Level
    tracks: list


def next_steps(ladder, level, *, own_track_id=None, paths=None):
    """The levels that come after `level`: on each track in use that it is on, and on the
    person's own track (`own_track_id`) even when that is retired; the own track's first.
    Pass `paths` (from `track_paths(ladder, include_retired=True)`) to save its 2 queries."""
    if paths is None:
        paths = track_paths(ladder, include_retired=True)
    steps = {}
    for path in paths:
        if not path.track.is_active and path.track.pk != own_track_id:
            continue
        after = _following(path.levels, level)
        if after is not None:
            steps.setdefault(after.pk, NextLevel(after, [])).tracks.append(path.track)
    return sorted(
        steps.values(),
        key=lambda step: not any(track.pk == own_track_id for track in step.tracks),
    )


def is_step_down(current, new):
    """Whether moving from the level `current` to `new` is a step down: a lower grade when
    both have one, else an earlier place in the ladder's order. The one rule of every page
    and file that asks before a step down."""
    if new.grade is not None and current.grade is not None:
        return new.grade < current.grade
    return new.position < current.position


@dataclass
class LadderOverview:
    ladder: Ladder
    levels: list
    paths: list


def ladder_overview(slug, *, ladders=None):
    """A ladder of `ladders` (default: all) with its active levels (each with `.on_tracks`)
    and tracks, or 404."""
    ladder = get_object_or_404(Ladder.objects.all() if ladders is None else ladders, slug=slug)
    levels = list(ladder.levels.active())
    paths = track_paths(ladder)
    for level in levels:
        level.on_tracks = [path.track for path in paths if level in path.levels]
    return LadderOverview(ladder=ladder, levels=levels, paths=paths)


@dataclass
class CategoryGroup:
    category: Category
    expectations: list


def group_expectations(categories, expectations):
    """Expectations grouped under each category, in category order; empty groups kept."""
    by_category = {}
    for expectation in expectations:
        by_category.setdefault(expectation.category_id, []).append(expectation)
    return [CategoryGroup(category, by_category.get(category.pk, [])) for category in categories]


@dataclass
class Neighbour:
    """A level's place on one track: the levels just before and after it."""

    track: Track
    previous: Level | None
    next: Level | None


@dataclass
class LevelPage:
    ladder: Ladder
    level: Level
    groups: list
    aspect_values: list
    neighbours: list
    paths: list

    @property
    def previous_levels(self):
        """The distinct levels that come just before this one on some track."""
        levels = []
        for neighbour in self.neighbours:
            if neighbour.previous and neighbour.previous not in levels:
                levels.append(neighbour.previous)
        return levels


def level_page(slug, key, *, ladders=None):
    """One level of a ladder of `ladders` (default: all) with its expectations, comparison
    values and neighbours on each track, or 404."""
    levels = Level.objects.select_related("ladder")
    if ladders is not None:
        levels = levels.filter(ladder__in=ladders)
    level = get_object_or_404(levels, ladder__slug=slug, key=key)
    ladder = level.ladder
    categories = list(ladder.categories.active())
    expectations = level.expectations.active()
    aspect_values = list(level.aspect_values.select_related("aspect"))
    paths = track_paths(ladder)
    neighbours = []
    for path in paths:
        if level not in path.levels:
            continue
        index = path.levels.index(level)
        neighbours.append(
            Neighbour(
                track=path.track,
                previous=path.levels[index - 1] if index > 0 else None,
                next=path.levels[index + 1] if index + 1 < len(path.levels) else None,
            )
        )
    return LevelPage(
        ladder=ladder,
        level=level,
        groups=group_expectations(categories, expectations),
        aspect_values=aspect_values,
        neighbours=neighbours,
        paths=paths,
    )


def levels_with_expectations(ladder, keys):
    """The ladder's levels named by `keys`, in that order, each with `.expectation_list`."""
    levels = {
        level.key: level
        for level in ladder.levels.filter(key__in=keys).prefetch_related(
            Prefetch(
                "expectations",
                queryset=Expectation.objects.active().order_by(
                    "category__position", "position", "id"
                ),
                to_attr="expectation_list",
            ),
            "aspect_values",
        )
    }
    return [levels[key] for key in keys if key in levels]


def ladder_spec(ladder):
    """The ladder as a spec (see `ladderfile`), ready to be written as a ladder file."""
    categories = list(ladder.categories.all())
    levels = list(
        ladder.levels.prefetch_related(
            # Expectations of a retired category too: the file keeps them under it.
            Prefetch("expectations", queryset=Expectation.objects.filter(is_active=True))
        )
    )
    level_keys = {level.pk: level.key for level in levels}
    seniority = {level.pk: index for index, level in enumerate(levels)}
    spec_levels = []
    for level in levels:
        expectations = {}
        for category in categories:
            items = [
                ladderfile.expectation(
                    e.text,
                    key=e.key,
                    examples=e.examples,
                    links=e.links,
                    proficiency=e.proficiency,
                )
                for e in level.expectations.all()
                if e.category_id == category.pk
            ]
            if items:
                expectations[category.key] = items
        spec_levels.append(
            {
                "key": level.key,
                "name": level.name,
                "short_name": level.short_name,
                "code": level.code,
                "grade": level.grade,
                "summary": level.summary,
                "next_step": level.next_step,
                "active": level.is_active,
                "expectations": expectations,
            }
        )
    tracks = [
        {
            "key": path.track.key,
            "name": path.track.name,
            "description": path.track.description,
            "best_for": path.track.best_for_list,
            "challenges": path.track.challenges_list,
            "active": path.track.is_active,
            "levels": [level.key for level in path.levels],
        }
        for path in track_paths(ladder, include_retired=True)
    ]
    comparison = [
        {
            "aspect": aspect.name,
            "values": {
                level_keys[value.level_id]: value.value
                for value in sorted(aspect.values.all(), key=lambda v: seniority[v.level_id])
            },
        }
        for aspect in ladder.aspects.prefetch_related("values")
    ]
    return {
        "format": ladderfile.FORMAT,
        "ladder": {
            "slug": ladder.slug,
            "name": ladder.name,
            "description": ladder.description,
            "readiness": {
                "coverage": ladder.ready_coverage,
                "span_months": ladder.ready_span_months,
            },
            "proficiency": ladder.proficiency_labels,
        },
        "categories": [
            {
                "key": c.key,
                "name": c.name,
                "description": c.description,
                "group": c.group,
                "active": c.is_active,
            }
            for c in categories
        ],
        "levels": spec_levels,
        "tracks": tracks,
        "comparison": comparison,
        "promotion": {
            "criteria": [
                {"name": c.name, "description": c.description}
                for c in ladder.promotion_criteria.all()
            ],
            "blockers": [b.text for b in ladder.promotion_blockers.all()],
        },
        "faq": [{"question": f.question, "answer": f.answer} for f in ladder.faq_entries.all()],
    }

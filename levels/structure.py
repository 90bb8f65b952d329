"""
A ladder's structure as the pages about people read it: its categories, levels, tracks and
their levels, promotion criteria and blockers, each level's expectations, and what changes
from one level to the next. Read once for each version of the ladder and kept in Django's
cache (`CACHES["default"]`: each process's memory unless a shared cache is configured), so
a page about someone costs no query for the ladder they are on.

Every entry's key carries the ladder's structure version (`models.StructureVersion`),
which every write to the ladder or its parts replaces in its own transaction: once a
change is committed, no page reads what was kept before it, on any app server. Entries of
old versions are never read again and expire. A ladder without a version is read from the
database every time.

The cache hands out copies: a page may annotate what it gets.

The parts are kept apart (the ladder's outline, each level's expectations, each
comparison of two levels), so a page reads only the levels it shows: reading back every
expectation of a large ladder costs more than the page.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Count

from .compare import compare_levels, for_cache, from_cache
from .models import (
    Category,
    Expectation,
    Level,
    NextLevel,
    PromotionBlocker,
    PromotionCriterion,
)
from .selectors import TrackPath, next_levels_on, next_steps, track_paths

# Old versions are never read again; this only bounds how long they take room.
CACHE_SECONDS = 24 * 60 * 60


def stamp(ladder):
    """The version of `ladder`'s structure, or None (a query unless loaded with the ladder,
    e.g. `select_related("ladder__structure_version")`)."""
    try:
        return ladder.structure_version.stamp
    except ObjectDoesNotExist:
        return None


def keep_next_levels(ladders):
    """Make the `NextLevel` rows of `ladders` (loaded with their structure version) those
    of their structures now: one query when they are, and a rewrite of a ladder's rows
    (two queries and the count of its expectations) when its structure has changed since
    they were written."""
    ladders = list(ladders)
    written = {}
    rows = NextLevel.objects.filter(track__ladder__in=ladders).order_by()
    for ladder_id, kept in rows.values_list("track__ladder", "stamp").distinct():
        written.setdefault(ladder_id, set()).add(kept)
    for ladder in ladders:
        version = stamp(ladder)
        if version is not None and written.get(ladder.pk) == {version}:
            continue
        structure = ladder_structure(ladder)
        following = structure.next_levels()
        totals = dict(
            Expectation.objects.active()
            .filter(level__ladder=ladder)
            .order_by()
            .values("level")
            .annotate(n=Count("id"))
            .values_list("level", "n")
        )
        places = [
            (path.track.pk, level.pk, following.get((path.track.pk, level.pk)))
            for path in structure.paths
            for level in path.levels
        ]
        with transaction.atomic():
            NextLevel.objects.filter(track__ladder=ladder).delete()
            # Another request may be writing the same rows: they are the same rows.
            NextLevel.objects.bulk_create(
                [
                    NextLevel(
                        track_id=track,
                        level_id=level,
                        expectations=totals.get(level, 0),
                        next_level=after,
                        next_expectations=totals.get(after.pk, 0) if after else 0,
                        stamp=version,
                    )
                    for track, level, after in places
                ],
                ignore_conflicts=True,
            )


# The shape of what is kept: a release that changes it (the fields of the cached objects)
# takes a new one, so a shared cache never hands it what an earlier release kept.
CACHE_FORMAT = 2


def _key(ladder, version):
    return f"ladder-structure:{CACHE_FORMAT}:{ladder.pk}:{version.hex}"


@dataclass
class Structure:
    """A ladder's outline: its active categories in order, every level (retired ones
    too) in the ladder's order, every track (retired ones too) with its levels, and the
    promotion criteria and blockers. `key` is its place in the cache (None: not kept)."""

    key: str | None
    categories: list
    levels: list
    paths: list
    criteria: list
    blockers: list

    @property
    def active_levels(self):
        return [level for level in self.levels if level.is_active]

    def track_paths(self, *, include_retired=False):
        """As `selectors.track_paths`: the tracks in use with their levels in use, or all."""
        if include_retired:
            return self.paths
        return [
            TrackPath(path.track, [level for level in path.levels if level.is_active])
            for path in self.paths
            if path.track.is_active
        ]

    def next_steps(self, level, *, own_track_id=None):
        """`selectors.next_steps` on this ladder (no query)."""
        return next_steps(None, level, own_track_id=own_track_id, paths=self.paths)

    def next_levels(self):
        """`selectors.next_levels` for this ladder (no query)."""
        return next_levels_on(self.paths)

    def expectations(self, levels):
        """{level pk: its active expectations, each with its category, in the ladder's
        order} for `levels` of this ladder: what is not kept yet in one query."""
        wanted = {level.pk for level in levels}
        if self.key is None:
            return _read_expectations(wanted, self.categories)
        keys = {pk: f"{self.key}:level:{pk}" for pk in wanted}
        kept = cache.get_many(keys.values())
        lists = {pk: kept[key] for pk, key in keys.items() if key in kept}
        missing = wanted - set(lists)
        if missing:
            read = _read_expectations(missing, self.categories)
            cache.set_many({keys[pk]: read[pk] for pk in missing}, CACHE_SECONDS)
            lists.update(read)
        return lists

    def with_expectations(self, levels):
        """The ladder's `levels`, each with `.expectation_list` (see `expectations`)."""
        lists = self.expectations(levels)
        for level in levels:
            level.expectation_list = lists[level.pk]
        return levels

    def comparison(self, before, after):
        """`compare.compare_levels` over the active categories, from `before` to `after`
        (levels carrying `expectation_list`): worked out once for each version."""
        if self.key is None or before is None:
            return compare_levels(self.categories, before, after)
        key = f"{self.key}:compare:{before.pk}:{after.pk}"
        changes = cache.get(key)
        if changes is None:
            changes = compare_levels(self.categories, before, after)
            # Kept without the levels compared (and their expectations): the caller has them.
            cache.set(key, for_cache(changes), CACHE_SECONDS)
            return changes
        return from_cache(changes, before, after)


def _read_expectations(level_pks, categories):
    """{level pk: active expectations} for `level_pks`, each given its category from
    `categories` (the active ones, which every active expectation's is)."""
    by_pk = {category.pk: category for category in categories}
    lists = {pk: [] for pk in level_pks}
    rows = (
        Expectation.objects.active()
        .filter(level__in=level_pks)
        .order_by("level", "category__position", "position", "id")
    )
    for expectation in rows:
        expectation.category = by_pk[expectation.category_id]
        lists[expectation.level_id].append(expectation)
    return lists


def _read(ladder, key):
    levels = list(Level.objects.filter(ladder=ladder))
    by_pk = {level.pk: level for level in levels}
    paths = [
        # The same level objects on every track, so a level is one object however many
        # tracks it is on (and is kept once).
        TrackPath(path.track, [by_pk[level.pk] for level in path.levels])
        for path in track_paths(ladder, include_retired=True)
    ]
    return Structure(
        key=key,
        categories=list(Category.objects.active().filter(ladder=ladder)),
        levels=levels,
        paths=paths,
        criteria=list(PromotionCriterion.objects.filter(ladder=ladder)),
        blockers=list(PromotionBlocker.objects.filter(ladder=ladder)),
    )


# The shape of the documents `kept_for_version` keeps (the API's ladder, the ladder file):
# a release that changes what they hold takes a new one.
DOCUMENTS_FORMAT = 1


def kept_for_version(ladder, part, compute):
    """What `compute(ladder)` makes of `ladder` as it is now, kept in the cache under the
    ladder's structure version with the name `part`: for documents made from the whole
    ladder (its ladder file, its structure through the API), which cost more to read and
    write out than to fetch. Made every time for a ladder without a version. The ladder is
    read again after its version, so what is kept is never older than the version it is
    kept under (the row `ladder` came from may have been read before it)."""
    version = stamp(ladder)
    if version is None:
        return compute(ladder)
    key = f"{_key(ladder, version)}:{part}:{DOCUMENTS_FORMAT}"
    found = cache.get(key)
    if found is None:
        found = compute(type(ladder).objects.get(pk=ladder.pk))
        cache.set(key, found, CACHE_SECONDS)
    return found


def ladder_structure(ladder):
    """The structure of `ladder` for its current version: from the cache, else read (six
    queries) and kept. Load the ladder with `select_related("ladder__structure_version")`
    (or `select_related("structure_version")`) to spare the query for its version."""
    version = stamp(ladder)
    if version is None:
        return _read(ladder, None)
    key = _key(ladder, version)
    structure = cache.get(key)
    if structure is None:
        structure = _read(ladder, key)
        cache.set(key, structure, CACHE_SECONDS)
    return structure

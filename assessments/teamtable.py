"""
The team table: its columns, how each sorts, which readiness it filters by, and its CSV.

Every sort, filter and count happens in the database, on the readiness figures kept per
person (`kept`, as `readiness.with_readiness` counts them) and the time in level kept on
each person's row (`Employee.level_since`; the same figures as each person's own page).
Rows that tie on a column follow by name, then id, so that a page never shows a person
twice or skips one. Columns with no value for a person (no next level at the top of a
track, no level history) sort last whichever way the column is sorted.
"""

import csv
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from levels.models import Ladder
from levels.structure import ladder_structure
from pmladder.csvcells import neutralise

from . import kept, readiness
from .templatetags.people import time_in_level

BADGES = {
    code: (code, label) for code, label in (readiness.READY, readiness.CLOSE, readiness.NOT_YET)
}
# The readiness filter: the badge codes each choice keeps.
READINESS_FILTERS = {
    "ready-or-close": [readiness.READY[0], readiness.CLOSE[0]],
    "close": [readiness.CLOSE[0]],
    "ready": [readiness.READY[0]],
}
TIE_BREAK = (F("full_name").asc(), F("id").asc())


@dataclass(frozen=True)
class Column:
    """A sortable column: its key in `?sort=`, its header, the words of each direction in
    the "Sort by" list, the direction a first click sorts by, and whether sorting by it
    needs the readiness of everyone filtered (`measured`)."""

    key: str
    label: str
    ascending: str
    descending: str
    first: str = "ascending"
    measured: bool = False
    everyone_only: bool = False  # shown only when the table lists everyone below


COLUMNS = [
    Column("name", "Name", "Name, A to Z", "Name, Z to A"),
    Column("title", "Title", "Title, A to Z", "Title, Z to A"),
    Column("level", "Level", "Level, most junior first", "Level, most senior first"),
    Column("track", "Track", "Track, A to Z", "Track, Z to A"),
    Column(
        "time",
        "In level",
        "Time in level, shortest first",
        "Time in level, longest first",
        first="descending",
    ),
    Column(
        "current",
        "This level",
        "This level, least shown first",
        "This level, most shown first",
        first="descending",
        measured=True,
    ),
    Column(
        "next",
        "Next level",
        "Next level, furthest first",
        "Next level, closest first",
        first="descending",
        measured=True,
    ),
    Column("manager", "Manager", "Manager, A to Z", "Manager, Z to A", everyone_only=True),
]
BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_SORT = "name"


def sort_choices():
    """The choices of `?sort=`: each column ascending (`key`) and descending (`-key`)."""
    choices = []
    for column in COLUMNS:
        choices += [(column.key, column.ascending), (f"-{column.key}", column.descending)]
    return choices


def parse_sort(sort):
    """(column, descending) for a valid `?sort=` value."""
    descending = sort.startswith("-")
    return BY_KEY[sort.removeprefix("-")], descending


def _badge_rank():
    """Ready above Getting close above Not yet; nothing at the top of a track."""
    return Case(
        When(next_badge=readiness.READY[0], then=Value(3)),
        When(next_badge=readiness.CLOSE[0], then=Value(2)),
        When(next_badge=readiness.NOT_YET[0], then=Value(1)),
        default=Value(None),
        output_field=IntegerField(),
    )


def _keys(column):
    """The expressions `column` sorts by before the tie-break, each with whether it runs
    against the column's direction."""
    if column.key == "title":
        return [(Lower("job_title"), False)]
    if column.key == "level":  # by seniority: the grade lines up levels of different tracks
        return [(F("level__grade"), False), (F("level__position"), False)]
    if column.key == "track":
        return [(Lower("track__name"), False)]
    if column.key == "time":  # the longer in level, the earlier the date
        return [(F("level_since"), True)]
    if column.key == "current":
        return [(F("current_percent"), False), (F("current_shown"), False)]
    if column.key == "next":
        return [(_badge_rank(), False), (F("next_percent"), False), (F("next_shown"), False)]
    if column.key == "manager":
        return [(Lower("manager__full_name"), False)]
    return [(F("full_name"), False)]


def arrange(people, *, sort=DEFAULT_SORT, badges=None, ladders=None, figures=False):
    """(`people` sorted by `sort` (a value of `sort_choices`) and kept to the badge codes
    in `badges` (None: everyone), `kept.Behind`). Readiness, read from the figures kept
    per person, and the time in level are joined for everyone filtered when the sort or
    the filter needs them, or when `figures` asks for them on every row (the CSV);
    `Behind` says how many of them are being counted again meanwhile."""
    column, descending = parse_sort(sort)
    behind = kept.Behind(0)
    if figures or column.measured or badges is not None:
        people, behind = kept.readied(people, ladders=ladders)
    if badges is not None:
        people = people.filter(next_badge__in=badges)
    order = []
    for expression, backwards in _keys(column):
        if descending != backwards:
            order.append(expression.desc(nulls_last=True))
        else:
            order.append(expression.asc(nulls_last=True))
    return people.order_by(*order, *TIE_BREAK), behind


def measure(people, rows, ladders):
    """Give each of `rows` (loaded people, `arrange`d) the figures of its columns:
    `since`, `current_*`, `next_*`, `next_level` (None at the top of a track), `badge`
    ((code, label) or None) and `rule` (their ladder's, for the badge's title). Figures the
    sort did not read already are read for these rows alone, in one query from `people`
    (the queryset they came from, unsorted)."""
    rows = list(rows)
    if not rows:
        return rows
    names = [name for name in FIGURES if not hasattr(rows[0], name)]
    if names:
        # The rows are in view already: read their figures alone, grouped by id only.
        missing = people.model.objects.filter(pk__in=[row.pk for row in rows]).order_by()
        if "next_badge" in names:
            kept.bring_up_to_date(missing, ladders=ladders)
            missing = kept.with_kept_readiness(missing)
        figures = {values["pk"]: values for values in missing.values("pk", *names)}
        for row in rows:
            for name in names:
                setattr(row, name, figures[row.pk][name])
    following = next_levels(ladders)
    for row in rows:
        row.since = row.level_since
        row.next_level = following.get((row.track_id, row.level_id))
        row.badge = BADGES.get(row.next_badge)
        row.rule = readiness.Rule.of(row.ladder)
    return rows


FIGURES = (
    "current_total",
    "current_shown",
    "current_percent",
    "next_level_id",
    "next_total",
    "next_shown",
    "next_percent",
    "next_badge",
)


def every_ladder():
    """Every ladder with its structure's version (one query), the key of its cached
    structure (`levels.structure`)."""
    return list(Ladder.objects.select_related("structure_version"))


def next_levels(ladders):
    """{(track id, level id): the next level} over `ladders` (cached structures)."""
    following = {}
    for ladder in ladders:
        following.update(ladder_structure(ladder).next_levels())
    return following


# The CSV -------------------------------------------------------------------------------------

CSV_HEADER = [
    "Name",
    "Job title",
    "Level",
    "Track",
    "Manager",
    "In level since",
    "Time in level",
    "This level: expectations shown",
    "This level: expectations",
    "This level: % shown",
    "Next level",
    "Next level: expectations shown",
    "Next level: expectations",
    "Next level: % shown",
    "Readiness for next level",
]
CSV_CHUNK = 500  # people read from the database at a time


class _Echo:
    """A file that hands back what is written to it, for the CSV writer to stream rows."""

    def write(self, value):
        return value


def csv_lines(people, ladders):
    """The table as CSV lines, header first: `people` (`arrange`d with `figures`, as the
    page sorts and filters them, every page), read in chunks. Every cell goes through `neutralise`,
    so nothing a person typed runs as a formula in a spreadsheet."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    following = next_levels(ladders)
    today = timezone.localdate()
    yield writer.writerow(CSV_HEADER)
    for person in people.iterator(chunk_size=CSV_CHUNK):
        yield writer.writerow([neutralise(cell) for cell in _csv_row(person, following, today)])


def _csv_row(person, following, today):
    after = following.get((person.track_id, person.level_id))
    since = person.level_since
    badge = BADGES.get(person.next_badge)
    return [
        person.full_name,
        person.job_title,
        person.level.name,
        person.track.name,
        person.manager.full_name if person.manager else "",
        since.isoformat() if since else "",
        time_in_level(since, today) if since else "",
        person.current_shown,
        person.current_total,
        person.current_percent,
        after.name if after else "Top of track",
        person.next_shown if after else "",
        person.next_total if after else "",
        person.next_percent if after else "",
        badge[1] if badge else "",
    ]

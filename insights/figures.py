"""
The figures of the organisation view, each counted by the database: aggregate queries over
the people a `filters.Scope` covers, never a loop over the people in Python. The number of
queries is the same whatever the headcount; lists of people stop at `LIST_LIMIT` on the
page, and their CSV export streams the rest.

Each figure is a `Table`: a caption, column names and rows, which the page draws (with a
chart beside it) and the export writes out cell by cell. A cell may be a `Link`, written as
its text in a CSV file.

The definitions:
- time in level: since the start of the latest run of assignments at the current level
  (`Employee.level_since`, kept with the history);
- readiness and the next level: `readiness.with_readiness`, the one definition, as kept
  per person (`assessments.kept`);
- a level change: an assignment compared with the person's previous one, by the grade of
  its level (higher: a promotion; lower: a step down; equal, on another level or track: a
  lateral move); a first placement is no change;
- a quiet report: someone with no evidence (not deleted) observed in the 90 days up to the
  end of the date range;
- span of control: a manager's active direct reports within the view; depth: layers of the
  tree below the view's root, by the people's paths.
"""

import datetime
from collections import namedtuple
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Length, Replace, TruncQuarter
from django.db.models.query import ModelIterable
from django.urls import reverse

from assessments import kept, readiness
from assessments.models import Employee, Evidence, LevelAssignment
from assessments.readiness import add_months
from assessments.selectors import in_order
from assessments.templatetags.people import time_in_level as time_in_level_text
from levels.models import Level
from rounds.models import Nomination, Round

LIST_LIMIT = 50  # people listed on the page; the export has them all
PAGE = "page"  # a list as the page shows it: its first LIST_LIMIT rows and how many in all
QUIET_DAYS = 90

Link = namedtuple("Link", "text url")
Link.__str__ = lambda self: str(self.text)

# (code, label) of the time-in-level buckets, shortest first.
TIME_BUCKETS = [
    ("under-6m", "Under 6 months"),
    ("6-12m", "6 to 12 months"),
    ("1-2y", "1 to 2 years"),
    ("2y-plus", "2 years or more"),
]
# (label, lowest, highest or None) of the span-of-control buckets.
SPAN_BUCKETS = [
    ("1 or 2", 1, 2),
    ("3 to 5", 3, 5),
    ("6 to 8", 6, 8),
    ("9 to 12", 9, 12),
    ("13 or more", 13, None),
]
PROMOTION, LATERAL, STEP_DOWN = "promotion", "lateral", "step-down"
CHANGE_KINDS = [(PROMOTION, "Promotions"), (LATERAL, "Lateral moves"), (STEP_DOWN, "Step-downs")]
BADGE_LABELS = dict([readiness.READY, readiness.CLOSE, readiness.NOT_YET])


@dataclass
class Table:
    """A figure as rows: what the page shows under its chart, and its CSV export."""

    caption: str
    columns: list
    rows: object  # a list, or for an export a generator
    total: int | None = None  # for a list of people cut at LIST_LIMIT: how many in all
    chart: dict = field(default_factory=dict)  # the arguments of a `charts` function

    @property
    def more(self):
        return self.total is not None and self.total > len(self.rows)


def _person(employee):
    return Link(employee.full_name, employee.get_absolute_url())


def _manager(row, limit):
    """The manager of a row grouped by manager: a link on the page, a name in an export."""
    if not limit:
        return row["manager__full_name"]
    return Link(row["manager__full_name"], reverse("assessments:person", args=[row["manager"]]))


def _level_name(level):
    return f"{level.short_name} ({level.code})" if level.code else level.short_name


def _cut(queryset, limit, *, whole=None):
    """(rows, total): the first `limit` (PAGE: LIST_LIMIT) of `queryset` and how many in
    all, or with no limit every row, streamed, and no total.

    The total is a count over every row, worked out in the pass that sorts them. Rows of
    grouped figures (dicts) come from that same query. People are found by id first, with
    only what the filter and the order need; then the page's rows alone are read with
    their related rows (level, manager, ...), rather than joining those to everyone who
    matches before the sort keeps the first few."""
    if limit is None:
        return queryset.iterator(chunk_size=2000), None
    limit = LIST_LIMIT if limit == PAGE else limit
    if issubclass(queryset._iterable_class, ModelIterable):
        return _first(queryset, limit, counted=True, whole=whole)
    rows = list(queryset.annotate(cut_total=Window(Count("*")))[:limit])
    return rows, rows[0]["cut_total"] if rows else 0


def _first(people, limit, *, counted=False, whole=None):
    """(the first `limit` of `people`, how many in all when `counted`, else None): their ids
    first, then those rows alone, whole (see `_cut`), from `whole` when given: the rows
    with what is shown of them, without a filter that is costly to work out again (by
    default, `people`)."""
    head = people.annotate(cut_total=Window(Count("*"))) if counted else people
    head = list(head.values_list("pk", *["cut_total"] * counted)[:limit])
    rows = in_order(people if whole is None else whole, [row[0] for row in head])
    return rows, (head[0][1] if head else 0) if counted else None


def levels_by_id():
    """{pk: level} of every level, with its ladder (one query: ladders are small)."""
    return {level.pk: level for level in Level.objects.select_related("ladder__structure_version")}


# 1. Headcount by level and track -------------------------------------------------------------


def headcount(scope, levels):
    """People by grade (rows) and track (columns): IC and management side by side."""
    counts = (
        scope.people.order_by()
        .values("level", "track__name")
        .annotate(n=Count("pk"))
        .values_list("level", "track__name", "n")
    )
    by_grade, tracks = {}, []
    for level_id, track, n in counts:
        level = levels[level_id]
        row = by_grade.setdefault(level.grade, {"levels": [], "codes": [], "counts": {}})
        if level.short_name not in row["levels"]:
            row["levels"].append(level.short_name)
            row["codes"].append(level.code)
        row["counts"][track] = row["counts"].get(track, 0) + n
        if track not in tracks:
            tracks.append(track)
    tracks.sort()
    grades = sorted(by_grade)
    labels = [f"Grade {grade}: {' / '.join(by_grade[grade]['levels'])}" for grade in grades]
    # The chart names each grade by its levels' codes where they have them: short enough to
    # be read whole on a phone; the table beside it gives the names.
    short = [
        f"Grade {grade} ({', '.join(by_grade[grade]['codes'])})"
        if all(by_grade[grade]["codes"])
        else f"Grade {grade}"
        for grade in grades
    ]
    rows = [
        [
            label,
            *[by_grade[grade]["counts"].get(track, 0) for track in tracks],
            sum(by_grade[grade]["counts"].values()),
        ]
        for grade, label in zip(grades, labels, strict=True)
    ]
    return Table(
        caption="Headcount by grade and track",
        columns=["Grade and levels", *tracks, "Total"],
        rows=rows,
        chart={
            "title": "Headcount by grade and track",
            "description": "How many people hold each grade, one bar per track, so levels of "
            "equal grade on the IC and management tracks sit side by side.",
            "categories": short,
            "series": [
                (track, [by_grade[grade]["counts"].get(track, 0) for grade in grades])
                for track in tracks
            ],
        },
    )


# 2. Time in level ----------------------------------------------------------------------------


def _bucket_bounds(today):
    """The first days of each bucket but the first: 6, 12 and 24 months ago."""
    return add_months(today, -6), add_months(today, -12), add_months(today, -24)


class DateBucket(Func):
    """Which of the buckets bounded by `bounds` (first days, oldest first) a date falls in:
    0 before the first, 1 from the first to the day before the second, and so on; None for
    no date. PostgreSQL's `width_bucket` reads the date once, where a filter per bucket
    would work a date made by a subquery out again for each."""

    output_field = IntegerField()

    def __init__(self, expression, bounds):
        self.bounds = list(bounds)
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        # Elsewhere (SQLite): one comparison a bound.
        sql, params = compiler.compile(self.get_source_expressions()[0])
        cases = " ".join(f"WHEN ({sql}) < %s THEN {n}" for n in range(len(self.bounds)))
        when_params = [value for bound in self.bounds for value in (*params, bound)]
        return (
            f"(CASE WHEN ({sql}) IS NULL THEN NULL {cases} ELSE {len(self.bounds)} END)",
            (*params, *when_params),
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        marks = ", ".join(["%s"] * len(self.bounds))
        return f"width_bucket(({sql}), ARRAY[{marks}]::date[])", (*params, *self.bounds)


def time_in_level(scope, levels):
    """People per level by how long they have held it: one row per level and bucket."""
    six, twelve, twenty_four = _bucket_bounds(scope.today)
    day = datetime.timedelta(days=1)
    # A level held since the day after a bound is in the newer bucket ("under 6 months":
    # since after six months ago), so each bucket starts the day after its bound.
    bounds = [twenty_four + day, twelve + day, six + day]
    oldest_first = [code.replace("-", "_") for code, _ in reversed(TIME_BUCKETS)]
    counted = (
        scope.people.order_by()
        .annotate(bucket=DateBucket("level_since", bounds))
        .values("level", "bucket")
        .annotate(n=Count("pk"))
        .values_list("level", "bucket", "n")
    )
    rows_by_level = {}
    for level_id, bucket, n in counted:
        row = rows_by_level.setdefault(
            level_id, {"level": level_id, **dict.fromkeys(oldest_first, 0)}
        )
        if bucket is not None:  # no level history: on the level, in no bucket
            row[oldest_first[bucket]] = n
    rows_by_level = list(rows_by_level.values())
    found = {row["level"]: row for row in rows_by_level}
    ordered = sorted(found, key=lambda pk: (levels[pk].ladder.name, levels[pk].grade, pk))
    labels = [_level_name(levels[pk]) for pk in ordered]
    columns = [code.replace("-", "_") for code, _ in TIME_BUCKETS]
    rows = [
        [label, *[found[pk][column] for column in columns]]
        for pk, label in zip(ordered, labels, strict=True)
    ]
    return Table(
        caption="Time in level, per level",
        columns=["Level", *[label for _, label in TIME_BUCKETS]],
        rows=rows,
        chart={
            "title": "Time in level",
            "description": "For each level, how many people have held it for under six months, "
            "six to twelve months, one to two years, and two years or more.",
            "categories": [levels[pk].short_name for pk in ordered],
            "series": [
                (label, [found[pk][column] for pk in ordered])
                for (_, label), column in zip(TIME_BUCKETS, columns, strict=True)
            ],
            "stacked": True,
        },
    )


def long_in_level(scope, levels, *, limit=PAGE):
    """The people in their level for two years or more, longest first."""
    since = add_months(scope.today, -24)
    people = (
        scope.people.filter(level_since__lte=since)
        .select_related("level", "track", "manager")
        .order_by("level_since", "full_name", "pk")
    )
    found, total = _cut(
        people, limit, whole=Employee.objects.select_related("level", "track", "manager")
    )
    rows = (
        [
            _person(person) if limit else person.full_name,
            _level_name(person.level),
            person.track.name,
            person.manager.full_name if person.manager else "",
            person.level_since,
            time_in_level_text(person.level_since, scope.today),
        ]
        for person in found
    )
    return Table(
        caption="In their level for two years or more",
        columns=["Name", "Level", "Track", "Manager", "Level since", "Time in level"],
        rows=list(rows) if limit else rows,
        total=total,
    )


# 3. Promotion pipeline -----------------------------------------------------------------------


def open_round(scope):
    """The promotion round under way that the viewer may see (taking nominations or
    calibrating; the soonest deadline first), or None. One query."""
    from assessments import access

    rounds = access.restrict(
        Round.objects.filter(state__in=[Round.State.NOMINATING, Round.State.CALIBRATING]),
        scope.user,
    )
    return rounds.order_by("nomination_deadline", "pk").first()


def _readied(scope):
    """The people in view with their readiness, read from the figures kept per person
    (`assessments.kept`: those out of date are counted again first; built once a
    request)."""
    if "readied" not in scope.cache:
        scope.cache["readied"], scope.cache["behind"] = kept.readied(scope.people)
    return scope.cache["readied"]


def readiness_behind(scope):
    """`kept.Behind`: how many people in view have readiness figures being counted again
    by a background task (the figures read until then are as they were)."""
    _readied(scope)
    return scope.cache["behind"]


def _pipeline_people(scope, round):
    people = _readied(scope).filter(next_badge__in=[readiness.READY[0], readiness.CLOSE[0]])
    if round is not None:
        people = people.annotate(
            nominated=Exists(Nomination.objects.filter(round=round, employee=OuterRef("pk")))
        )
    return people


def pipeline(scope, levels, round):
    """People Getting close and Ready, per next level: the people in the pipeline grouped
    by next level, badge and whether their evidence spans the months (and, with a round
    open, whether they are nominated in it), so the readiness of each is worked out once
    and the groups are few whatever the headcount."""
    ready = readiness.READY[0]
    keys = ["next_level_id", "next_badge", "next_spans"]
    if round is not None:
        keys.append("nominated")
    groups = _pipeline_people(scope, round).order_by().values(*keys).annotate(n=Count("pk"))
    found, total, ready_not_nominated = {}, 0, 0
    for group in groups:
        counts = found.setdefault(group["next_level_id"], {"ready": 0, "close": 0, "spans": 0})
        counts["ready" if group["next_badge"] == ready else "close"] += group["n"]
        counts["spans"] += group["n"] if group["next_spans"] else 0
        total += group["n"]
        if round is not None and group["next_badge"] == ready and not group["nominated"]:
            ready_not_nominated += group["n"]
    # The list's length and the round's Ready people not nominated, for the list and the
    # round's figures.
    scope.cache["pipeline"] = {"total": total, "ready_not_nominated": ready_not_nominated}
    ordered = sorted(found, key=lambda pk: (levels[pk].ladder.name, levels[pk].grade, pk))
    labels = [_level_name(levels[pk]) for pk in ordered]
    return Table(
        caption="Promotion pipeline, per next level",
        columns=["Next level", readiness.READY[1], readiness.CLOSE[1], "Over the months"],
        rows=[
            [label, found[pk]["ready"], found[pk]["close"], found[pk]["spans"]]
            for pk, label in zip(ordered, labels, strict=True)
        ],
        chart={
            "title": "Promotion pipeline",
            "description": f"For each next level, how many people are {readiness.READY[1]} "
            f"and how many are {readiness.CLOSE[1]}, by their ladder's readiness rule.",
            "categories": [levels[pk].short_name for pk in ordered],
            "series": [
                (readiness.READY[1], [found[pk]["ready"] for pk in ordered]),
                (readiness.CLOSE[1], [found[pk]["close"] for pk in ordered]),
            ],
            "stacked": True,
        },
    )


def pipeline_people(scope, levels, round, *, limit=PAGE):
    """The people Ready and Getting close, Ready first, the most shown first."""
    people = (
        _pipeline_people(scope, round)
        .select_related("level", "track", "manager")
        .order_by(
            Case(When(next_badge=readiness.READY[0], then=Value(0)), default=Value(1)),
            "-next_percent",
            "full_name",
            "pk",
        )
    )
    if limit == PAGE and "pipeline" in scope.cache:  # counted with the pipeline already
        found, total = _first(people, LIST_LIMIT)[0], scope.cache["pipeline"]["total"]
    else:
        found, total = _cut(people, limit)
    columns = ["Name", "Level", "Next level", "Shown", "Readiness", "Over the months"]
    if round is not None:
        columns.append("Nominated")  # in the open round, named above the list

    def row(person):
        cells = [
            _person(person) if limit else person.full_name,
            _level_name(person.level),
            _level_name(levels[person.next_level_id]),
            f"{person.next_percent}%",
            BADGE_LABELS[person.next_badge],
            "Yes" if person.next_spans else "Not yet",
        ]
        if round is not None:
            cells.append("Yes" if person.nominated else "No")
        return cells

    rows = (row(person) for person in found)
    return Table(
        caption=f"People {readiness.READY[1]} or {readiness.CLOSE[1]}",
        columns=columns,
        rows=list(rows) if limit else rows,
        total=total,
    )


def round_state(scope, round):
    """Where the open round stands for the people in view: nominations and decisions, and
    how many Ready people are not nominated. None without an open round."""
    if round is None:
        return None
    nominations = Nomination.objects.filter(round=round, employee__in=scope.people).aggregate(
        total=Count("pk"),
        promote=Count("pk", filter=Q(decision=Nomination.Decision.PROMOTE)),
        not_now=Count("pk", filter=Q(decision=Nomination.Decision.NOT_THIS_ROUND)),
    )
    if "pipeline" in scope.cache:  # counted with the pipeline already
        ready_not_nominated = scope.cache["pipeline"]["ready_not_nominated"]
    else:
        ready_not_nominated = (
            _pipeline_people(scope, round)
            .filter(next_badge=readiness.READY[0], nominated=False)
            .count()
        )
    return {
        "round": round,
        "url": round.get_absolute_url(),
        "ready_not_nominated": ready_not_nominated,
        "undecided": nominations["total"] - nominations["promote"] - nominations["not_now"],
        **nominations,
    }


# 4. Level changes per quarter ----------------------------------------------------------------


def quarters(start, end):
    """The first days of the quarters from `start`'s to `end`'s."""
    day = datetime.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    found = []
    while day <= end:
        found.append(day)
        day = add_months(day, 3)
    return found


def quarter_label(day):
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def with_change_kind(assignments):
    """`assignments` annotated with `kind`: PROMOTION, LATERAL, STEP_DOWN, or None (a first
    placement, or the same level and track again), against the person's previous one."""
    previous = LevelAssignment.objects.filter(employee=OuterRef("employee")).filter(
        Q(effective_on__lt=OuterRef("effective_on"))
        | Q(effective_on=OuterRef("effective_on"), pk__lt=OuterRef("pk"))
    )
    previous = previous.order_by("-effective_on", "-pk")
    assignments = assignments.annotate(
        previous_grade=Subquery(previous.values("level__grade")[:1]),
        previous_level=Subquery(previous.values("level")[:1]),
        previous_track=Subquery(previous.values("track")[:1]),
    )
    return assignments.annotate(
        kind=Case(
            When(previous_level__isnull=True, then=Value(None)),
            When(level__grade__gt=F("previous_grade"), then=Value(PROMOTION)),
            When(level__grade__lt=F("previous_grade"), then=Value(STEP_DOWN)),
            When(Q(level=F("previous_level")) & Q(track=F("previous_track")), then=Value(None)),
            default=Value(LATERAL),
            output_field=CharField(),
        )
    )


def level_changes(scope):
    """Promotions, lateral moves and step-downs per quarter of the date range, of the
    people in view."""
    changes = (
        with_change_kind(
            LevelAssignment.objects.filter(
                employee__in=scope.people.values("pk"),
                effective_on__gte=scope.start,
                effective_on__lte=scope.end,
            )
        )
        .filter(kind__isnull=False)
        .annotate(quarter=TruncQuarter("effective_on"))
        .order_by()
        .values_list("quarter", "kind")
        .annotate(n=Count("pk"))
    )
    found = {}
    for quarter, kind, n in changes:
        if isinstance(quarter, datetime.datetime):  # some backends give a datetime
            quarter = quarter.date()
        found[(quarter, kind)] = n
    days = quarters(scope.start, scope.end)
    labels = [quarter_label(day) for day in days]
    return Table(
        caption="Level changes per quarter",
        columns=["Quarter", *[label for _, label in CHANGE_KINDS]],
        rows=[
            [label, *[found.get((day, kind), 0) for kind, _ in CHANGE_KINDS]]
            for day, label in zip(days, labels, strict=True)
        ],
        chart={
            "title": "Level changes per quarter",
            "description": f"Promotions, lateral moves and step-downs from "
            f"{scope.start:%d %b %Y} to {scope.end:%d %b %Y}, per calendar quarter.",
            "categories": labels,
            "series": [
                (label, [found.get((day, kind), 0) for day in days]) for kind, label in CHANGE_KINDS
            ],
            "unit": "changes",
        },
    )


# 5. Evidence activity ------------------------------------------------------------------------


def _with_activity(scope):
    """The people in view, each `active` when they have evidence observed in the last
    QUIET_DAYS days: one look-up in a set of the people with recent evidence (read once
    from the `evidence_live_observed` index; for part of the organisation, of its people
    only), not a search of the evidence a person."""
    since = scope.end - datetime.timedelta(days=QUIET_DAYS)
    recent = Evidence.objects.live().filter(observed_on__gt=since, observed_on__lte=scope.end)
    if scope.root is not None:
        recent = recent.filter(employee__in=scope.people)
    return scope.people.annotate(active=Q(pk__in=recent.values("employee")))


def evidence_activity(scope, *, limit=PAGE):
    """Per manager: their direct reports in view, and how many have no evidence observed
    in the last 90 days; the managers with the most quiet reports first, then the rest."""
    per_manager = (
        _with_activity(scope)
        .filter(manager__isnull=False)
        .order_by()
        .values("manager", "manager__full_name")
        .annotate(reports=Count("pk"), quiet=Count("pk", filter=Q(active=False)))
        .order_by("-quiet", "manager__full_name", "manager")
    )
    found, total = _cut(per_manager, limit)
    rows = (
        [
            _manager(row, limit),
            row["reports"],
            row["quiet"],
        ]
        for row in found
    )
    rows = list(rows) if limit else rows
    chart = {}
    if limit:
        chart = {
            "title": "Reports with no recent evidence, per manager",
            "description": f"For each manager, how many of their direct reports have no "
            f"evidence observed in the {QUIET_DAYS} days up to {scope.end:%d %b %Y}, and how "
            "many have some.",
            "categories": [str(row[0]) for row in rows],
            "series": [
                ("No recent evidence", [row[2] for row in rows]),
                ("Recent evidence", [row[1] - row[2] for row in rows]),
            ],
            "stacked": True,
        }
    return Table(
        caption=f"Direct reports with no evidence in the last {QUIET_DAYS} days, per manager",
        columns=["Manager", "Direct reports", "No recent evidence"],
        rows=rows,
        total=total,
        chart=chart,
    )


def activity_totals(scope):
    """{people, quiet}: everyone in view, and those with no recent evidence (one query)."""
    return _with_activity(scope).aggregate(
        people=Count("pk"), quiet=Count("pk", filter=Q(active=False))
    )


def quiet_people(scope, *, limit=PAGE):
    """The people in view with no evidence observed in the last 90 days, by manager."""
    people = (
        _with_activity(scope)
        .filter(active=False)
        .select_related("level", "manager")
        .order_by("manager__full_name", "full_name", "pk")
    )
    found, total = _cut(people, limit, whole=Employee.objects.select_related("level", "manager"))
    rows = (
        [
            _person(person) if limit else person.full_name,
            _level_name(person.level),
            person.manager.full_name if person.manager else "",
        ]
        for person in found
    )
    return Table(
        caption=f"People with no evidence in the last {QUIET_DAYS} days",
        columns=["Name", "Level", "Manager"],
        rows=list(rows) if limit else rows,
        total=total,
    )


# 6. Span of control and depth ----------------------------------------------------------------


def _spans(scope, *fields):
    """The managers of the people in view, each as a row {manager, span, *fields}, `span`
    being their direct reports in view: one pass over the people, grouped by manager."""
    return (
        scope.people.filter(manager__isnull=False)
        .order_by()
        .values("manager", *fields)
        .annotate(span=Count("pk"))
    )


def span_of_control(scope):
    """How many managers have 1 or 2, 3 to 5, ... direct reports in view."""

    def within(low, high):
        return Q(span__gte=low) & (Q(span__lte=high) if high else Q())

    counts = _spans(scope).aggregate(
        **{
            f"b{i}": Count("manager", filter=within(low, high))
            for i, (_, low, high) in enumerate(SPAN_BUCKETS)
        }
    )
    values = [counts[f"b{i}"] for i in range(len(SPAN_BUCKETS))]
    labels = [f"{label} reports" for label, _, _ in SPAN_BUCKETS]
    return Table(
        caption="Managers by number of direct reports",
        columns=["Direct reports", "Managers"],
        rows=[[label, n] for label, n in zip(labels, values, strict=True)],
        chart={
            "title": "Span of control",
            "description": "How many managers have one or two direct reports, three to five, "
            "six to eight, nine to twelve, and thirteen or more.",
            "categories": labels,
            "series": [("Managers", values)],
            "unit": "managers",
        },
    )


def wide_managers(scope, levels, *, limit=PAGE):
    """The managers with more than the threshold of direct reports, the widest first."""
    managers = (
        _spans(scope, "manager__full_name", "manager__level")
        .filter(span__gt=scope.span_limit)
        .order_by("-span", "manager__full_name", "manager")
    )
    found, total = _cut(managers, limit)
    rows = (
        [
            _manager(row, limit),
            _level_name(levels[row["manager__level"]]),
            row["span"],
        ]
        for row in found
    )
    return Table(
        caption=f"Managers with more than {scope.span_limit} direct reports",
        columns=["Manager", "Level", "Direct reports"],
        rows=list(rows) if limit else rows,
        total=total,
    )


def _depth(path):
    """The number of people on a path: how deep in the tree its person is (1 at the top)."""
    return Length(path) - Length(Replace(path, Value("/"), Value("")))


def depth(scope):
    """People per layer below the view's root (1: its direct reports; for the whole
    organisation, 1 is the top of the tree)."""
    base = scope.root.path.count("/") if scope.root is not None and scope.root.path else 0
    layers = (
        scope.people.exclude(path="")
        .annotate(layer=_depth(F("path")) - base)
        .order_by()
        .values_list("layer")
        .annotate(n=Count("pk"))
        .order_by("layer")
    )
    found = [(layer, n) for layer, n in layers if layer and layer > 0]
    labels = [f"Layer {layer}" for layer, _ in found]
    top = (
        f"layer 1 reports directly to {scope.root.full_name}"
        if scope.root is not None
        else "layer 1 is the top of the organisation"
    )
    return Table(
        caption=f"People per layer of the tree ({top})",
        columns=["Layer", "People"],
        rows=[[label, n] for label, (_, n) in zip(labels, found, strict=True)],
        chart={
            "title": "Depth of the tree",
            "description": f"How many people sit at each layer of the reporting tree; {top}.",
            "categories": labels,
            "series": [("People", [n for _, n in found])],
        },
    )


# The people ----------------------------------------------------------------------------------


def people_rows(scope, levels):
    """Everyone in view with their level, track, manager, time in level and readiness,
    streamed (for the export)."""
    people = _readied(scope).select_related("level", "track", "manager").order_by("full_name", "pk")
    for person in people.iterator(chunk_size=2000):
        following = levels.get(person.next_level_id)
        yield [
            person.full_name,
            person.email,
            _level_name(person.level),
            person.track.name,
            person.manager.full_name if person.manager else "",
            person.level_since or "",
            time_in_level_text(person.level_since, scope.today),
            _level_name(following) if following else "",
            f"{person.next_percent}%" if following else "",
            BADGE_LABELS.get(person.next_badge, ""),
        ]


PEOPLE_COLUMNS = [
    "Name",
    "Email",
    "Level",
    "Track",
    "Manager",
    "Level since",
    "Time in level",
    "Next level",
    "Shown of next level",
    "Readiness",
]

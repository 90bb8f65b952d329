"""
Readiness: how well a person shows the expectations of a level. It belongs to the person
and the level: the same figure whoever looks.

What counts, and nothing else:
- confirmed evidence shared with the person that shows the expectation being met
  (`Evidence.objects.counted()`): private notes, growth notes, wins waiting for a manager,
  declined wins and deleted evidence never change the figure, whoever may read them;
- the Meets and Exceeds ratings of the latest shared review against that level (drafts
  never count).
An expectation is *shown* when it has such evidence or such a rating. Coverage is the share
of the level's active expectations shown; the evidence *spans* from its first date to its
latest, in calendar months.

The badge uses the words of the reviews' overall readiness (`Review.Readiness`) and the
ladder's rule (`Ladder.ready_coverage`, `Ladder.ready_span_months`):
- Ready: at least the ladder's coverage shown, with evidence over at least its months
  ("performing at the next level for 6+ months, not just once");
- Getting close: at least half shown (or the coverage for Ready, where a ladder asks less);
- Not yet: otherwise.
Which evidence a page lists beside the figure is for `access` to say, never the figure.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    Least,
)
from django.db.models.lookups import GreaterThanOrEqual

from levels.models import (
    READY_COVERAGE_DEFAULT,
    READY_SPAN_MONTHS_DEFAULT,
    Ladder,
    NextLevel,
)
from levels.structure import keep_next_levels

from . import access
from .models import Evidence, Rating, Review, ReviewRating

CLOSE_COVERAGE = 50  # percent shown for "Getting close" (or the coverage for Ready, if lower)
SHOWN_RATINGS = [Rating.MEETS, Rating.EXCEEDS]  # review ratings that show an expectation

# (code, label): the code names the badge's style, the label is the reviews' word.
READY = ("ready", str(Review.Readiness.READY.label))
CLOSE = ("close", str(Review.Readiness.DEVELOPING.label))
NOT_YET = ("building", str(Review.Readiness.NOT_READY.label))


def add_months(day, months):
    """`day` plus a number of calendar months, clamped to the end of shorter months."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(n):
    return f"{n} month{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Rule:
    """A ladder's readiness rule: the percentage of expectations shown for Ready
    (`coverage`), and how many months the evidence must span (`span_months`)."""

    coverage: int = READY_COVERAGE_DEFAULT
    span_months: int = READY_SPAN_MONTHS_DEFAULT

    @classmethod
    def of(cls, ladder):
        return cls(coverage=ladder.ready_coverage, span_months=ladder.ready_span_months)

    @property
    def close_coverage(self):
        return min(CLOSE_COVERAGE, self.coverage)

    def spans(self, first, last):
        """Whether evidence from `first` to `last` covers `span_months` calendar months:
        from 15 January, six months is reached on 15 July."""
        return (
            first is not None and last is not None and last >= add_months(first, self.span_months)
        )

    def badge(self, covered, total, spans):
        """READY, CLOSE or NOT_YET for `covered` of `total` expectations shown, with
        evidence that `spans` the months or not (exact: no rounding of percentages)."""
        if total and covered * 100 >= self.coverage * total and spans:
            return READY
        if total and covered * 100 >= self.close_coverage * total:
            return CLOSE
        return NOT_YET

    @property
    def text(self):
        """The rule in words, written beside the badge."""
        ready = f"Ready: at least {self.coverage}% of the expectations shown with evidence"
        if self.span_months:
            ready += f" over at least {_months(self.span_months)}"
        return f"{ready}. Getting close: at least {self.close_coverage}% shown."


@dataclass
class ExpectationReadiness:
    expectation: object
    count: int = 0  # counted evidence
    latest: datetime.date | None = None
    rating: str = ""  # in the latest shared review of the level
    rating_label: str = ""
    evidence: list = field(default_factory=list)  # what a page lists beside it, if any

    @property
    def covered(self):
        """Whether the expectation is shown: by counted evidence or a Meets/Exceeds rating."""
        return self.count > 0 or self.rating in SHOWN_RATINGS

    @property
    def shown_by(self):
        """The listed evidence that shows the expectation (private notes included, for
        those who may read them: they are listed, not counted)."""
        return [item for item in self.evidence if item.kind == Evidence.Kind.SHOWS]

    @property
    def growth_notes(self):
        return [item for item in self.evidence if item.kind == Evidence.Kind.GROWTH]


@dataclass
class CriterionSupport:
    criterion: object
    count: int = 0
    latest: datetime.date | None = None


@dataclass
class Readiness:
    level: object
    items: list
    first: datetime.date | None
    last: datetime.date | None
    criteria: list = field(default_factory=list)
    rule: Rule = field(default_factory=Rule)
    dates: list = field(default_factory=list)  # [(day, pieces of counted evidence)], by day

    @property
    def total(self):
        return len(self.items)

    @property
    def covered(self):
        return sum(item.covered for item in self.items)

    @property
    def coverage(self):
        """Share of expectations shown, 0 to 1; 0 for a level with none."""
        return self.covered / self.total if self.total else 0.0

    @property
    def percent(self):
        """Coverage in whole percent, rounded down: 79.6% never reads as 80%."""
        return self.covered * 100 // self.total if self.total else 0

    @property
    def consistent(self):
        """Whether the counted evidence spans the months the ladder's rule asks for."""
        return self.rule.spans(self.first, self.last)

    @property
    def badge(self):
        return self.rule.badge(self.covered, self.total, self.consistent)

    @property
    def supported_criteria(self):
        return [support for support in self.criteria if support.count]

    @property
    def growth_notes(self):
        """The growth notes listed beside the expectations (see `ExpectationReadiness`)."""
        return [note for item in self.items for note in item.growth_notes]

    def by_expectation(self):
        return self._by_expectation

    @cached_property
    def _by_expectation(self):
        # Read once for each expectation a page lists.
        return {item.expectation.pk: item for item in self.items}

    def by_category(self, categories=None):
        """How many expectations are shown per category, as `CategoryProgress`, in the
        order of `categories` (loaded categories; by default each expectation's own, which
        must then be loaded with it). Categories with no expectation at the level are left
        out. No query."""
        counts = {}
        for item in self.items:
            shown, total = counts.get(item.expectation.category_id, (0, 0))
            counts[item.expectation.category_id] = (shown + item.covered, total + 1)
        if categories is None:
            categories = {i.expectation.category_id: i.expectation.category for i in self.items}
            categories = list(categories.values())
        return [
            CategoryProgress(category.name, *counts[category.pk])
            for category in categories
            if category.pk in counts
        ]

    @property
    def overall(self):
        return CategoryProgress("Overall", self.covered, self.total)

    @property
    def span(self):
        """How long the counted evidence spans, as (months, days): from 3 January to
        14 July is (6, 11); None without evidence."""
        if self.first is None:
            return None
        return months_and_days(self.first, self.last)

    @property
    def span_text(self):
        """The timeline in words: "Evidence from 3 Jan 2026 to 14 Jul 2026: 6 months
        11 days, the rule asks for 6 months"."""
        asks = f"the rule asks for {_months(self.rule.span_months)}"
        if not self.rule.span_months:
            asks = "the rule asks for no span"
        if self.first is None:
            return f"No counted evidence yet; {asks}"
        if self.first == self.last:
            return f"Evidence on {_day(self.first)} only: no span yet, {asks}"
        months, days = self.span
        parts = [_months(months)] if months else []
        if days or not months:
            parts.append(f"{days} day{'' if days == 1 else 's'}")
        return f"Evidence from {_day(self.first)} to {_day(self.last)}: {' '.join(parts)}, {asks}"

    @property
    def span_end(self):
        """Where the rule's span, counted from the first evidence, ends (None without)."""
        if self.first is None:
            return None
        return add_months(self.first, self.rule.span_months)


@dataclass(frozen=True)
class CategoryProgress:
    """`shown` of `total` expectations of a category (or of the level, "Overall")."""

    name: str
    shown: int
    total: int

    @property
    def percent(self):
        return self.shown * 100 // self.total if self.total else 0

    @property
    def label(self):
        return f"{self.name}: {self.shown} of {self.total} shown"


def months_and_days(first, last):
    """Whole calendar months from `first` to `last`, and the days left over (see
    `add_months`: from 31 January, one month is reached on 28 February)."""
    months = (last.year - first.year) * 12 + last.month - first.month
    while months > 0 and add_months(first, months) > last:
        months -= 1
    return months, (last - add_months(first, months)).days


def _day(day):
    return f"{day.day} {day:%b %Y}"


def pair_changes(*, changes, result):
    """Give each item of `changes` (`levels.compare.compare_levels` into
    `result.level`) the `ExpectationReadiness` of the expectation it lists, as
    `item.readiness`, by the expectation's pk (None for one readiness does not measure).
    No query."""
    measured = {entry.expectation.pk: entry for entry in result.items}
    for change in changes:
        for item in change.items:
            expectation = item.expectation
            item.readiness = None if expectation is None else measured.get(expectation.pk)


def _latest_shared_review(**match):
    """A subquery: the pk of the newest shared review matching `match`."""
    return Subquery(
        Review.objects.filter(status__in=access.SHARED_REVIEW, **match)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )


def expectations_of(level):
    """The active expectations readiness measures `level` by, with their categories, in
    the ladder's order (one query)."""
    return list(
        level.expectations.active()
        .select_related("category")
        .order_by("category__position", "position", "id")
    )


def readiness(*, employee, level, expectations=None, criteria=None):
    """The readiness of `employee` for `level`, the same whoever looks (what a page lists
    beside it is read through `access`). Three queries: the level's expectations, the
    ladder's criteria, and the figures (`readiness_for`); one when `expectations` and
    `criteria` are passed in."""
    if expectations is None:
        expectations = expectations_of(level)
    if criteria is None:
        criteria = list(employee.ladder.promotion_criteria.all())
    (result,) = readiness_for(employee=employee, targets=[(level, expectations)], criteria=criteria)
    return result


# The kinds of row `_figures` reads.
_DAY, _SUPPORT, _RATING = "day", "support", "rating"


def readiness_for(*, employee, targets, criteria):
    """The readiness of `employee` for each of `targets` ([(level, its active
    expectations)], as `readiness` measures it), in that order: one query for them all,
    whatever their number."""
    levels_of = {}  # expectation pk -> the target levels listing it
    for level, expectations in targets:
        for expectation in expectations:
            levels_of.setdefault(expectation.pk, []).append(level.pk)
    days, support, ratings = {}, {}, {}
    rows = _figures(employee, [level.pk for level, _ in targets], [c.pk for c in criteria])
    for kind, expectation, ref, number, day, rating in rows:
        if expectation not in levels_of:
            continue  # e.g. a retired expectation: not measured
        if kind == _DAY:
            days.setdefault(expectation, []).append((day, number))
        elif kind == _SUPPORT:
            support.setdefault(expectation, []).append((ref, number, day))
        elif ref in levels_of[expectation]:  # a rating in the latest review of its level
            ratings[(ref, expectation)] = rating
    rule = Rule.of(employee.ladder)
    return [
        _measure(level, expectations, criteria, rule, days, support, ratings)
        for level, expectations in targets
    ]


def _figures(employee, level_ids, criterion_ids):
    """Rows (kind, expectation, ref, number, day, rating) about `employee` and the
    expectations of `level_ids`, in one query: for each expectation and day, how much
    counted evidence (_DAY); for each expectation and criterion (ref), how much counted
    evidence is tagged with it and its latest day (_SUPPORT); the rating of each expectation
    in the latest shared review against each level (ref) (_RATING). Selected by level, not
    by a list of every expectation: the query is then cheaper to build, and the caller
    keeps the rows of the expectations it measures."""
    none_int = Value(None, output_field=IntegerField())
    none_text = Value(None, output_field=CharField())
    columns = ("kind", "expectation", "ref", "number", "day", "rating")
    counted = (
        Evidence.objects.counted()
        .filter(employee=employee, expectation__level__in=level_ids)
        .order_by()
    )
    per_day = (
        counted.values("expectation", day=F("observed_on"))
        .annotate(number=Count("id"), kind=Value(_DAY), ref=none_int, rating=none_text)
        .values_list(*columns)
    )
    tagged = (
        counted.filter(criteria__in=criterion_ids)
        .values("expectation", ref=F("criteria"))
        .annotate(
            number=Count("id", distinct=True),
            day=Max("observed_on"),
            kind=Value(_SUPPORT),
            rating=none_text,
        )
        .values_list(*columns)
    )
    rated = (
        ReviewRating.objects.filter(review__employee=employee, review__target_level__in=level_ids)
        .filter(
            review=_latest_shared_review(
                employee=employee, target_level=OuterRef("review__target_level")
            )
        )
        .exclude(rating="")
        .order_by()
        .annotate(
            kind=Value(_RATING),
            ref=F("review__target_level"),
            number=none_int,
            day=Value(None, output_field=DateField()),
        )
        .values_list(*columns)
    )
    return per_day.union(tagged, rated, all=True).order_by()


def _measure(level, expectations, criteria, rule, days, support, ratings):
    """The `Readiness` of one level from the rows `readiness_for` read (no query)."""
    labels = dict(Rating.choices)
    items, per_day, firsts, lasts = [], {}, [], []
    for expectation in expectations:
        seen = days.get(expectation.pk, [])
        for day, number in seen:
            per_day[day] = per_day.get(day, 0) + number
        if seen:
            firsts.append(min(day for day, _ in seen))
            lasts.append(max(day for day, _ in seen))
        rating = ratings.get((level.pk, expectation.pk), "")
        items.append(
            ExpectationReadiness(
                expectation=expectation,
                count=sum(number for _, number in seen),
                latest=max((day for day, _ in seen), default=None),
                rating=rating,
                rating_label=labels.get(rating, ""),
            )
        )
    tagged = {}  # criterion pk -> (pieces of evidence, latest day)
    for expectation in expectations:
        for criterion, number, day in support.get(expectation.pk, []):
            count, latest = tagged.get(criterion, (0, None))
            tagged[criterion] = (count + number, day if latest is None else max(latest, day))
    return Readiness(
        level=level,
        items=items,
        first=min(firsts, default=None),
        last=max(lasts, default=None),
        rule=rule,
        dates=sorted(per_day.items()),
        criteria=[
            CriterionSupport(
                criterion=criterion,
                count=tagged.get(criterion.pk, (0, None))[0],
                latest=tagged.get(criterion.pk, (0, None))[1],
            )
            for criterion in criteria
        ],
    )


# Readiness in the database -------------------------------------------------------------------
#
# Lists that sort, filter or count people by readiness (the team table, the org pipeline)
# cannot measure each person in Python. `with_readiness` writes the figure `readiness_for`
# gives in SQL, as annotations of a queryset of people; the tests hold both to the same
# answers.

_EVIDENCE_COUNTED = {
    "evidence__deleted_at__isnull": True,
    "evidence__status": Evidence.Status.CONFIRMED,
    "evidence__visibility": Evidence.Visibility.SHARED,
    "evidence__kind": Evidence.Kind.SHOWS,
    "evidence__expectation__is_active": True,
    "evidence__expectation__category__is_active": True,
}


def with_readiness(people, *, ladders=None, current=True):
    """`people` (a queryset of employees) annotated with their readiness, as `readiness_for`
    measures it, for their current level and for the next level on their own track:

    - `current_total`, `current_shown`, `current_percent` (unless `current` is False:
      a count of readiness for the next level is cheaper without them);
    - `next_level_id` (None at the top of a track), `next_total`, `next_shown`,
      `next_percent`, `next_first` and `next_last` (the span of the counted evidence),
      `next_spans` (whether it spans the ladder's months) and `next_badge` (the code of
      READY, CLOSE or NOT_YET; None without a next level).

    The people's evidence is read in one pass, grouped by person (an aggregate over the
    join, not a subquery a person: counting a whole organisation reads each piece of
    evidence once); review ratings, which are few, by a subquery. Count the result with
    `aggregate`, never `values(...).annotate(...)`: the query is grouped by person already.

    Each person's place (their level on their track, the next level and how many
    expectations both have) is joined from the `NextLevel` rows of `ladders` (by default
    every ladder: one query, and one to check that the rows are up to date)."""
    if ladders is None:
        ladders = Ladder.objects.select_related("structure_version")
    keep_next_levels(ladders)
    people = people.alias(
        _place=FilteredRelation(
            "track__next_levels", condition=Q(track__next_levels__level=F("level"))
        )
    )
    at_current = Q(evidence__expectation__level=F("level"), **_EVIDENCE_COUNTED)
    at_next = Q(evidence__expectation__level=F("_place__next_level"), **_EVIDENCE_COUNTED)
    if current:
        people = people.annotate(
            current_total=Coalesce(Min("_place__expectations"), 0),
            current_shown=Count("evidence__expectation", filter=at_current, distinct=True)
            + _rated_only(OuterRef("level_id")),
            current_percent=whole_percent("current_shown", "current_total"),
        )
    people = people.annotate(
        # As aggregates, like the totals: a query reading some of the figures only is
        # still grouped by person alone.
        next_level_id=Min("_place__next_level"),
        next_total=Coalesce(Min("_place__next_expectations"), 0),
        next_shown=Count("evidence__expectation", filter=at_next, distinct=True)
        + _rated_only(
            Subquery(
                NextLevel.objects.filter(
                    track=OuterRef(OuterRef("track_id")), level=OuterRef(OuterRef("level_id"))
                ).values("next_level")[:1]
            )
        ),
        next_percent=whole_percent("next_shown", "next_total"),
        next_first=Min("evidence__observed_on", filter=at_next),
        next_last=Max("evidence__observed_on", filter=at_next),
    )
    # The ladder's rule, as aggregates: the query is grouped by person, and a plain column
    # of the ladder would have to be grouped by too.
    return judged(
        people,
        coverage=Min("ladder__ready_coverage"),
        span_months=Min("ladder__ready_span_months"),
    )


def judged(people, *, coverage, span_months):
    """`people`, annotated with `next_shown`, `next_total`, `next_first`, `next_last` and
    `next_level_id`, given `next_spans` and `next_badge` by the ladder's rule (`Rule`),
    whose `coverage` and `span_months` are expressions: counted with the figures
    (`with_readiness`) or from figures kept (`kept`)."""
    people = people.annotate(next_spans=_spans(F("next_first"), F("next_last"), span_months))
    at_least = lambda percent: GreaterThanOrEqual(  # noqa: E731
        ExpressionWrapper(F("next_shown") * 100, output_field=IntegerField()),
        ExpressionWrapper(percent * F("next_total"), output_field=IntegerField()),
    )
    ready = Q(next_total__gt=0) & Q(at_least(coverage)) & Q(next_spans=True)
    close = Q(next_total__gt=0) & Q(at_least(Least(Value(CLOSE_COVERAGE), coverage)))
    return people.annotate(
        next_badge=Case(
            When(next_level_id__isnull=True, then=Value(None)),
            When(ready, then=Value(READY[0])),
            When(close, then=Value(CLOSE[0])),
            default=Value(NOT_YET[0]),
            output_field=CharField(),
        )
    )


class _OfThePerson(ExpressionWrapper):
    """An expression made only of the person's own columns (a next level, a subquery about
    them), in a query grouped by person: left out of the GROUP BY, which their primary
    key determines already, so the database works it out once a person after grouping
    rather than for every row of evidence joined."""

    def get_group_by_cols(self):
        return []


def _rated_only(level):
    """How many active expectations of `level` (an expression about the person: an
    `OuterRef`, or a subquery of `OuterRef(OuterRef(...))`s) the person shows only by a
    Meets or Exceeds in their latest shared review against that level (those with counted
    evidence are counted with the evidence)."""
    rated = (
        ReviewRating.objects.filter(
            review__employee=OuterRef("pk"),
            review__target_level=level,
            expectation__level=level,
            rating__in=SHOWN_RATINGS,
            expectation__is_active=True,
            expectation__category__is_active=True,
        )
        .filter(
            review=_latest_shared_review(
                employee=OuterRef("review__employee"),
                target_level=OuterRef("review__target_level"),
            )
        )
        .exclude(
            Exists(
                Evidence.objects.counted().filter(
                    employee=OuterRef("review__employee"), expectation=OuterRef("expectation")
                )
            )
        )
        .order_by()
        .values("review__employee")
        .annotate(n=Count("expectation", distinct=True))
        .values("n")
    )
    # Most people have no shared review against the level: a look at the index first.
    reviewed = Exists(
        Review.objects.filter(
            employee=OuterRef("pk"), target_level=level, status__in=access.SHARED_REVIEW
        )
    )
    return _OfThePerson(
        Case(When(reviewed, then=Coalesce(Subquery(rated), 0)), default=0),
        output_field=IntegerField(),
    )


def whole_percent(shown, total):
    """`shown` of `total` in whole percent, rounded down (as `Readiness.percent`)."""
    return Case(
        When(**{total: 0}, then=Value(0)),
        default=ExpressionWrapper(F(shown) * 100 / F(total), output_field=IntegerField()),
        output_field=IntegerField(),
    )


def _spans(first, last, months):
    """Whether `last` is at least `months` calendar months after `first` (`Rule.spans`)."""
    return Case(
        When(GreaterThanOrEqual(last, AddMonths(first, months)), then=True),
        default=False,
        output_field=BooleanField(),
    )


class AddMonths(Func):
    """A date plus a number of calendar months, clamped to the end of shorter months
    (`add_months`: 31 January plus one month is the last day of February). PostgreSQL's
    date arithmetic does exactly this; SQLite calls `add_months` itself, given to each of
    its connections as `pm_add_months` (`sqlite_add_months`, `apps`)."""

    function = "pm_add_months"
    arity = 2
    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra_context):
        (day, day_params), (months, months_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = f"(({day}) + make_interval(months => ({months})::integer))::date"
        return sql, (*day_params, *months_params)


def sqlite_add_months(day, months):
    """`add_months` for SQLite, which passes dates as ISO text."""
    if day is None or months is None:
        return None
    return add_months(datetime.date.fromisoformat(str(day)[:10]), int(months)).isoformat()

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
    ExtractDay,
    ExtractMonth,
    ExtractYear,
    Least,
    Mod,
)
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual

from levels.models import (
    READY_COVERAGE_DEFAULT,
    READY_SPAN_MONTHS_DEFAULT,
    Expectation,
    Ladder,
)
from levels.structure import ladder_structure

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


def pair_changes(*, changes, categories, result):
    """Give each item of `changes` (`levels.compare.compare_levels` over `categories`, into
    `result.level`) the `ExpectationReadiness` of the expectation it lists, as
    `item.readiness`: both list a category's expectations in the level's order. No query."""
    per_category = {}
    for measured in result.items:
        per_category.setdefault(measured.expectation.category_id, []).append(measured)
    for category, change in zip(categories, changes, strict=True):
        measured_items = per_category.get(category.pk, [])
        for item, measured in zip(change.items, measured_items, strict=False):
            item.readiness = measured if item.text == measured.expectation.text else None


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


def team_badges(people, levels_for):
    """{employee pk: (level, percent shown, badge, rule)} for a page of people, measured
    against the level `levels_for(employee)` returns (the next on their track): the figure
    `readiness` gives, for the whole page in two queries (expectations per level; counted
    evidence and the shown ratings of each latest shared review, together)."""
    targets = {person.pk: levels_for(person) for person in people}
    targets = {pk: level for pk, level in targets.items() if level is not None}
    level_ids = {level.pk for level in targets.values()}
    totals = dict(
        Expectation.objects.active()
        .filter(level__in=level_ids)
        .values("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    current = {"expectation__is_active": True, "expectation__category__is_active": True}
    evidence = (
        Evidence.objects.counted()
        .filter(employee__in=list(targets), expectation__level__in=level_ids, **current)
        .values_list("employee", "expectation", "expectation__level")
        .annotate(first=Min("observed_on"), last=Max("observed_on"))
        .order_by()
    )
    rated = (
        ReviewRating.objects.filter(
            review__employee__in=list(targets),
            review__target_level__in=level_ids,
            rating__in=SHOWN_RATINGS,
            **current,
        )
        .filter(
            review=_latest_shared_review(
                employee=OuterRef("review__employee"),
                target_level=OuterRef("review__target_level"),
            )
        )
        .values_list("review__employee", "expectation", "expectation__level")
        .annotate(
            first=Value(None, output_field=DateField()), last=Value(None, output_field=DateField())
        )
        .order_by()
    )
    shown, firsts, lasts = {}, {}, {}
    rows = evidence.union(rated, all=True).order_by()
    for employee_id, expectation_id, level_id, first, last in rows:
        if targets[employee_id].pk != level_id:
            continue
        shown.setdefault(employee_id, set()).add(expectation_id)
        if first is not None:
            firsts[employee_id] = min(first, firsts.get(employee_id, first))
            lasts[employee_id] = max(last, lasts.get(employee_id, last))
    result = {}
    for person in people:
        level = targets.get(person.pk)
        if level is None:
            continue
        rule = Rule.of(person.ladder)
        covered, total = len(shown.get(person.pk, ())), totals.get(level.pk, 0)
        spans = rule.spans(firsts.get(person.pk), lasts.get(person.pk))
        result[person.pk] = (
            level,
            covered * 100 // total if total else 0,
            rule.badge(covered, total, spans),
            rule,
        )
    return result


# Readiness in the database -------------------------------------------------------------------
#
# Lists that sort, filter or count people by readiness (the team table, the org pipeline)
# cannot measure each person in Python. `with_readiness` writes the figure `readiness_for`
# gives in SQL, as annotations of a queryset of people; the tests hold both to the same
# answers.

_ACTIVE = {"expectation__is_active": True, "expectation__category__is_active": True}


def with_readiness(people, *, ladders=None):
    """`people` (a queryset of employees) annotated with their readiness, as `readiness_for`
    measures it, for their current level and for the next level on their own track:

    - `current_total`, `current_shown`, `current_percent`;
    - `next_level_id` (None at the top of a track), `next_total`, `next_shown`,
      `next_percent`, `next_first` and `next_last` (the span of the counted evidence),
      `next_spans` (whether it spans the ladder's months) and `next_badge` (the code of
      READY, CLOSE or NOT_YET; None without a next level).

    The next levels come from the cached structure of `ladders` (by default every ladder:
    one query, and one for the number of expectations of every level). Each figure is a
    subquery about one person: cheap for a page of people, linear in the people counted."""
    if ladders is None:
        ladders = Ladder.objects.select_related("structure_version")
    following = {}
    for ladder in ladders:
        following.update(ladder_structure(ladder).next_levels())
    totals = dict(
        Expectation.objects.active()
        .order_by()
        .values("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    people = people.alias(
        _next=Case(
            *[
                When(track_id=track, level_id=level, then=Value(after.pk))
                for (track, level), after in following.items()
            ],
            default=Value(None),
            output_field=IntegerField(),
        )
    )
    people = people.annotate(
        current_total=_total("level", totals),
        current_shown=_shown("level"),
        current_percent=_percent("current_shown", "current_total"),
        next_level_id=F("_next"),
        next_total=_total("_next", totals),
        next_shown=_shown("_next"),
        next_percent=_percent("next_shown", "next_total"),
        next_first=_evidence_day("_next", Min),
        next_last=_evidence_day("_next", Max),
    )
    people = people.annotate(
        next_spans=_spans(F("next_first"), F("next_last"), F("ladder__ready_span_months"))
    )
    at_least = lambda percent: GreaterThanOrEqual(  # noqa: E731
        F("next_shown") * 100, percent * F("next_total")
    )
    ready = Q(next_total__gt=0) & Q(at_least(F("ladder__ready_coverage"))) & Q(next_spans=True)
    close = Q(next_total__gt=0) & Q(
        at_least(Least(Value(CLOSE_COVERAGE), F("ladder__ready_coverage")))
    )
    return people.annotate(
        next_badge=Case(
            When(_next__isnull=True, then=Value(None)),
            When(ready, then=Value(READY[0])),
            When(close, then=Value(CLOSE[0])),
            default=Value(NOT_YET[0]),
            output_field=CharField(),
        )
    )


def _total(level, totals):
    """The number of active expectations of the level in field `level` (from `totals`)."""
    return Case(
        *[When(**{level: pk}, then=Value(n)) for pk, n in totals.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def _counted_at(level):
    """The person's counted evidence on active expectations of the level in `level`."""
    return (
        Evidence.objects.counted()
        .filter(employee=OuterRef("pk"), expectation__level=OuterRef(level), **_ACTIVE)
        .order_by()
    )


def _shown(level):
    """How many active expectations of the level in `level` the person shows: by counted
    evidence, or by a Meets or Exceeds in their latest shared review against that level."""
    by_evidence = (
        _counted_at(level)
        .values("employee")
        .annotate(n=Count("expectation", distinct=True))
        .values("n")
    )
    rated_only = (
        ReviewRating.objects.filter(
            review__employee=OuterRef("pk"),
            review__target_level=OuterRef(level),
            expectation__level=OuterRef(level),
            rating__in=SHOWN_RATINGS,
            **_ACTIVE,
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
    return Coalesce(Subquery(by_evidence), 0) + Coalesce(Subquery(rated_only), 0)


def _evidence_day(level, aggregate):
    """The first (`Min`) or latest (`Max`) day of the person's counted evidence on the
    level in `level`."""
    days = (
        _counted_at(level).values("employee").annotate(day=aggregate("observed_on")).values("day")
    )
    return Subquery(days, output_field=DateField())


def _percent(shown, total):
    """`shown` of `total` in whole percent, rounded down (as `Readiness.percent`)."""
    return Case(
        When(**{total: 0}, then=Value(0)),
        default=ExpressionWrapper(F(shown) * 100 / F(total), output_field=IntegerField()),
        output_field=IntegerField(),
    )


def _spans(first, last, months):
    """Whether `last` is at least `months` calendar months after `first` (as `Rule.spans`
    and `add_months`: from 31 January, one month is reached on the last day of February)."""
    gap = (ExtractYear(last) * 12 + ExtractMonth(last)) - (
        ExtractYear(first) * 12 + ExtractMonth(first)
    )
    day_reached = Q(GreaterThanOrEqual(ExtractDay(last), ExtractDay(first))) | Q(
        Exact(ExtractDay(last), _days_in_month(ExtractYear(last), ExtractMonth(last)))
    )
    return Case(
        When(Q(GreaterThan(gap, months)) | (Q(Exact(gap, months)) & day_reached), then=True),
        default=False,
        output_field=BooleanField(),
    )


def _days_in_month(year, month):
    """The number of days of `month` of `year` (expressions)."""
    leap = Q(Exact(Mod(year, 4), 0)) & (~Q(Exact(Mod(year, 100), 0)) | Q(Exact(Mod(year, 400), 0)))
    thirty = Q(Exact(month, 4)) | Q(Exact(month, 6)) | Q(Exact(month, 9)) | Q(Exact(month, 11))
    return Case(
        When(thirty, then=Value(30)),
        When(Q(Exact(month, 2)) & leap, then=Value(29)),
        When(Exact(month, 2), then=Value(28)),
        default=Value(31),
        output_field=IntegerField(),
    )

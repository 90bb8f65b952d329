"""
Readiness: how well a person's evidence covers the expectations of a level.

Computed in the database from confirmed evidence (and the ratings of reviews): per
expectation, how many pieces of evidence, the latest date and the latest rating; overall
coverage; whether the evidence at that level spans the six months that the promotion
guidance asks for ("performing at the next level for 6+ months, not just once"); and, per
promotion criterion, the evidence tagged with it. What a viewer may not read (private
evidence, unshared reviews) does not count in what they are shown.
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min

from levels.models import Expectation
from levels.selectors import track_paths

from . import access
from .models import Evidence, Review, ReviewRating

CONSISTENCY_MONTHS = 6
READY_COVERAGE = 0.8  # share of expectations with evidence for the "Ready" badge


def add_months(day, months):
    """`day` plus a number of calendar months, clamped to the end of shorter months."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def spans_six_months(first, last):
    """Whether evidence from `first` to `last` covers at least six calendar months."""
    return first is not None and last is not None and last >= add_months(first, CONSISTENCY_MONTHS)


@dataclass
class ExpectationReadiness:
    expectation: object
    count: int = 0
    latest: datetime.date | None = None
    rating: str = ""
    rating_label: str = ""

    @property
    def covered(self):
        return self.count > 0


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

    @property
    def total(self):
        return len(self.items)

    @property
    def covered(self):
        return sum(item.covered for item in self.items)

    @property
    def coverage(self):
        """Share of expectations with evidence, 0 to 1; 0 for a level with none."""
        return self.covered / self.total if self.total else 0.0

    @property
    def percent(self):
        return round(self.coverage * 100)

    @property
    def consistent(self):
        return spans_six_months(self.first, self.last)

    @property
    def badge(self):
        return badge(self.coverage, self.consistent)

    @property
    def supported_criteria(self):
        return [support for support in self.criteria if support.count]

    def by_expectation(self):
        return {item.expectation.pk: item for item in self.items}


def badge(coverage, consistent):
    """A one-word summary: ("ready", "Ready"), ("close", "Getting close") or
    ("building", "Building evidence")."""
    if coverage >= READY_COVERAGE and consistent:
        return "ready", "Ready"
    if coverage >= 0.5:
        return "close", "Getting close"
    return "building", "Building evidence"


def _visible_evidence(viewer, employee):
    evidence = access.restrict(Evidence.objects.filter(employee=employee), viewer)
    return evidence.filter(status=Evidence.Status.CONFIRMED)


def _visible_reviews(viewer, employee):
    return access.restrict(Review.objects.filter(employee=employee), viewer)


def readiness(*, employee, level, viewer, expectations=None, criteria=None):
    """The readiness of `employee` for `level`, as `viewer` may see it (four queries:
    expectations, evidence per expectation, latest ratings, criteria support; fewer when
    `expectations` or `criteria` are passed in)."""
    if expectations is None:
        expectations = list(
            level.expectations.active()
            .select_related("category")
            .order_by("category__position", "position", "id")
        )
    evidence = _visible_evidence(viewer, employee).filter(expectation__in=expectations)
    stats = {
        row["expectation"]: row
        for row in evidence.values("expectation").annotate(
            count=Count("id"), latest=Max("observed_on"), first=Min("observed_on")
        )
    }
    ratings = {}
    rated = (
        ReviewRating.objects.filter(
            review__in=_visible_reviews(viewer, employee), expectation__in=expectations
        )
        .exclude(rating="")
        .order_by("-review__created_at", "-review_id")
        .values_list("expectation_id", "rating")
    )
    for expectation_id, rating in rated:
        ratings.setdefault(expectation_id, rating)
    labels = dict(ReviewRating._meta.get_field("rating").choices)
    items = []
    for expectation in expectations:
        row = stats.get(expectation.pk, {})
        rating = ratings.get(expectation.pk, "")
        items.append(
            ExpectationReadiness(
                expectation=expectation,
                count=row.get("count", 0),
                latest=row.get("latest"),
                rating=rating,
                rating_label=labels.get(rating, ""),
            )
        )
    firsts = [row["first"] for row in stats.values()]
    lasts = [row["latest"] for row in stats.values()]
    result = Readiness(
        level=level, items=items, first=min(firsts, default=None), last=max(lasts, default=None)
    )
    if criteria is None:
        criteria = list(employee.ladder.promotion_criteria.all())
    support = {
        row["criteria"]: row
        for row in evidence.filter(criteria__in=criteria)
        .values("criteria")
        .annotate(count=Count("id", distinct=True), latest=Max("observed_on"))
    }
    result.criteria = [
        CriterionSupport(
            criterion=criterion,
            count=support.get(criterion.pk, {}).get("count", 0),
            latest=support.get(criterion.pk, {}).get("latest"),
        )
        for criterion in criteria
    ]
    return result


def team_badges(people, levels_for):
    """{employee pk: (level, coverage percent, badge)} for a page of people, measured
    against the level `levels_for(employee)` returns (the next on their track), in two
    queries. For managers and HR, who may read all of their people's evidence."""
    targets = {person.pk: levels_for(person) for person in people}
    level_ids = {level.pk for level in targets.values() if level is not None}
    totals = dict(
        Expectation.objects.active()
        .filter(level__in=level_ids)
        .values("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    rows = (
        Evidence.objects.counted()
        .filter(employee__in=[p.pk for p in people], expectation__level__in=level_ids)
        .filter(expectation__is_active=True, expectation__category__is_active=True)
        .values("employee", "expectation__level")
        .annotate(
            covered=Count("expectation", distinct=True),
            first=Min("observed_on"),
            last=Max("observed_on"),
        )
    )
    found = {(row["employee"], row["expectation__level"]): row for row in rows}
    result = {}
    for person in people:
        level = targets[person.pk]
        if level is None:
            continue
        row = found.get((person.pk, level.pk), {})
        total = totals.get(level.pk, 0)
        coverage = row.get("covered", 0) / total if total else 0.0
        result[person.pk] = (
            level,
            round(coverage * 100),
            badge(coverage, spans_six_months(row.get("first"), row.get("last"))),
        )
    return result


def next_levels(ladders):
    """{(track pk, level pk): the next level on that track} for the given ladders."""
    following = {}
    for ladder in ladders:
        for path in track_paths(ladder):
            for level, after in zip(path.levels, path.levels[1:], strict=False):
                following[(path.track.pk, level.pk)] = after
    return following

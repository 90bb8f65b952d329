"""Readiness arithmetic: coverage, the span window, ratings, badges, the team page."""

import datetime

import pytest
from django.utils import timezone

from assessments import evidence as evidence_services
from assessments import readiness
from assessments.models import Employee, Review, ReviewRating
from levels.models import Expectation

from ..factories import LevelFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def expectations(org, level="pm"):
    return list(
        Expectation.objects.filter(level__ladder=org.ladder, level__key=level).order_by(
            "category__position", "position"
        )
    )


def record(org, expectation, days_ago, visibility="shared", criteria=()):
    return evidence_services.record_evidence(
        employee=org.report,
        expectation=expectation,
        by=org.manager.user,
        observed_on=TODAY - datetime.timedelta(days=days_ago),
        description="Did it",
        visibility=visibility,
        criteria=criteria,
    )


def test_add_months_clamps_to_the_end_of_short_months():
    assert readiness.add_months(datetime.date(2026, 8, 31), 6) == datetime.date(2027, 2, 28)
    assert readiness.add_months(datetime.date(2026, 1, 15), 6) == datetime.date(2026, 7, 15)
    assert readiness.add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (datetime.date(2026, 1, 15), datetime.date(2026, 7, 15), True),  # exactly six months
        (datetime.date(2026, 1, 15), datetime.date(2026, 7, 14), False),  # a day short
        (datetime.date(2026, 8, 31), datetime.date(2027, 2, 28), True),  # end of month
        (None, None, False),
    ],
)
def test_six_month_window_at_its_boundaries(first, last, expected):
    assert readiness.Rule().spans(first, last) is expected


def test_coverage_counts_and_latest(org):
    items = expectations(org)
    record(org, items[0], 200)
    record(org, items[0], 10)
    record(org, items[1], 30)

    result = readiness.readiness(employee=org.report, level=org.report.level)

    by = result.by_expectation()
    assert (by[items[0].pk].count, by[items[0].pk].latest) == (
        2,
        TODAY - datetime.timedelta(days=10),
    )
    assert by[items[1].pk].count == 1
    assert by[items[2].pk].count == 0
    assert (result.covered, result.total) == (2, 16)
    assert result.percent == 12
    assert result.consistent  # 200 days ago to 10 days ago


def test_pending_declined_and_deleted_evidence_do_not_count(org):
    items = expectations(org)
    win = evidence_services.log_win(
        employee=org.report, expectation=items[0], by=org.report.user, observed_on=TODAY,
        description="My win",
    )  # fmt: skip
    gone = record(org, items[1], 5)
    evidence_services.delete_evidence(evidence=gone, by=org.manager.user)

    result = readiness.readiness(employee=org.report, level=org.report.level)
    assert result.covered == 0

    evidence_services.confirm_win(evidence=win, by=org.manager.user)
    result = readiness.readiness(employee=org.report, level=org.report.level)
    assert result.covered == 1


def test_private_notes_count_for_nobody(org):
    record(org, expectations(org)[0], 5, visibility="private")

    managers = readiness.readiness(employee=org.report, level=org.report.level)
    persons = readiness.readiness(employee=org.report, level=org.report.level)

    assert managers.covered == persons.covered == 0


def test_a_level_with_no_expectations(org):
    empty = LevelFactory(ladder=org.ladder)

    result = readiness.readiness(employee=org.report, level=empty)

    assert (result.total, result.covered, result.coverage, result.percent) == (0, 0, 0.0, 0)
    assert result.badge == ("building", "Not yet")
    assert not result.consistent


def test_ratings_come_from_the_latest_shared_review_for_everyone(org):
    item = expectations(org)[0]
    shared = Review.objects.create(
        employee=org.report, target_level=org.report.level, target_level_name="PM",
        author=org.manager.user, status=Review.Status.SHARED,
    )  # fmt: skip
    draft = Review.objects.create(
        employee=org.report, target_level=org.report.level, target_level_name="PM",
        author=org.manager.user, status=Review.Status.DRAFT,
    )  # fmt: skip
    for review, rating in [(shared, "meets"), (draft, "exceeds")]:
        ReviewRating.objects.create(
            review=review, expectation=item, expectation_text=item.text,
            category_name="Key Responsibilities", position=0, rating=rating,
        )  # fmt: skip

    managers = readiness.readiness(employee=org.report, level=org.report.level)
    persons = readiness.readiness(employee=org.report, level=org.report.level)

    # The author's own draft counts for nobody, its author included.
    assert managers.by_expectation()[item.pk].rating_label == "Meets"
    assert persons.by_expectation()[item.pk].rating_label == "Meets"
    assert managers.covered == persons.covered == 1  # a Meets rating shows the expectation


def test_criteria_support(org):
    impact = org.ladder.promotion_criteria.get(name="Impact")
    record(org, expectations(org)[0], 5, criteria=[impact])
    record(org, expectations(org)[1], 3, criteria=[impact])

    result = readiness.readiness(employee=org.report, level=org.report.level)

    support = {s.criterion.name: s.count for s in result.criteria}
    assert support["Impact"] == 2
    assert support["Scope"] == 0
    assert [s.criterion.name for s in result.supported_criteria] == ["Impact"]


@pytest.mark.parametrize(
    ("covered", "total", "spans", "expected"),
    [
        (9, 10, True, ("ready", "Ready")),
        (8, 10, True, ("ready", "Ready")),  # exactly 80%
        (79, 100, True, ("close", "Getting close")),
        (9, 10, False, ("close", "Getting close")),
        (5, 10, True, ("close", "Getting close")),
        (49, 100, True, ("building", "Not yet")),
        (0, 0, True, ("building", "Not yet")),
    ],
)
def test_badges_use_the_words_of_the_reviews(covered, total, spans, expected):
    assert readiness.Rule().badge(covered, total, spans) == expected


def test_badge_words_are_the_review_readiness_labels():
    labels = [label for _, label in Review.Readiness.choices]

    assert labels == ["Not yet", "Getting close", "Ready"]
    assert [readiness.NOT_YET[1], readiness.CLOSE[1], readiness.READY[1]] == labels


def test_the_database_figure_measures_against_the_next_level(org):
    senior = expectations(org, "senior-pm")
    for index, expectation in enumerate(senior[:13]):
        record(org, expectation, 10 + index * 20)

    rows = {
        row.pk: row
        for row in readiness.with_readiness(
            Employee.objects.filter(pk__in=[org.report.pk, org.teammate.pk])
        )
    }

    report = rows[org.report.pk]
    assert (report.next_level_id, report.next_percent, report.next_badge) == (
        senior[0].level_id,
        81,
        "ready",
    )
    assert rows[org.teammate.pk].next_percent == 0


def test_pages_show_coverage_at_a_glance(org, as_user):
    from django.urls import reverse

    record(org, expectations(org)[0], 5)

    me = as_user(org.report.user).get(reverse("assessments:me")).content.decode()
    team = as_user(org.manager.user).get(reverse("assessments:team")).content.decode()

    assert "Evidence for 1 of 16 expectations (6%)" in me
    assert "1 piece of evidence" in me
    assert "Next level" in team
    assert "0 of 16 (0%)" in team

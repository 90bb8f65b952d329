"""Readiness kept per person (`assessments.kept`): the same figures `with_readiness` counts,
brought up to date after every change they are counted from, and read by the pages over
many people without counting anyone's evidence again."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import evidence as evidence_services
from assessments import kept, readiness, reviews, services
from assessments.models import Employee, KeptReadiness
from levels import services as ladder_services
from levels.models import Expectation

from ..factories import bulk_people

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
FIGURES = (
    "current_total",
    "current_shown",
    "current_percent",
    "next_level_id",
    "next_total",
    "next_shown",
    "next_percent",
    "next_first",
    "next_last",
    "next_spans",
    "next_badge",
)


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def next_items(org, key="senior-pm"):
    return list(
        Expectation.objects.filter(level__ladder=org.ladder, level__key=key).order_by(
            "category__position", "position"
        )
    )


def record(org, expectation, observed_on, person=None, **extra):
    fields = {"visibility": "shared", "description": "Did it", **extra}
    return evidence_services.record_evidence(
        employee=person or org.report,
        expectation=expectation,
        by=org.manager.user,
        observed_on=observed_on,
        **fields,
    )


def counted(people):
    """{pk: figures} as `with_readiness` counts them from the evidence, now."""
    rows = readiness.with_readiness(people.order_by()).values("pk", *FIGURES)
    return {row["pk"]: {name: row[name] for name in FIGURES} for row in rows}


def read_kept(people):
    """{pk: figures} as the pages read them: brought up to date, then read from the rows."""
    assert not kept.bring_up_to_date(people)
    rows = kept.with_kept_readiness(people.order_by()).values("pk", *FIGURES)
    return {row["pk"]: {name: row[name] for name in FIGURES} for row in rows}


def report_figures(org):
    people = Employee.objects.filter(pk=org.report.pk)
    return read_kept(people)[org.report.pk]


@pytest.fixture
def shown(org):
    """The report (a PM) with shared evidence for most of Senior PM, over seven months:
    Ready; and a note, a growth note and a pending win that count for nothing."""
    items = next_items(org)
    for index, item in enumerate(items[: len(items) * 9 // 10]):
        record(org, item, days_ago(220 if index == 0 else 10))
    record(org, items[-1], days_ago(5), visibility="private", description="A concern")
    return org


# The same figures ---------------------------------------------------------------------------


def test_kept_figures_are_the_counted_ones_for_everyone(shown):
    org = shown
    record(org, next_items(org, "apm")[0], days_ago(3), person=org.teammate)
    people = Employee.objects.all()

    assert read_kept(people) == counted(people)
    figures = report_figures(org)
    assert figures["next_badge"] == readiness.READY[0]
    assert figures["next_first"] == days_ago(220)
    # Everyone has a row now; the top of a track has no next level.
    assert KeptReadiness.objects.count() == Employee.objects.count()


def test_rows_already_up_to_date_are_not_counted_again(shown):
    people = Employee.objects.all()
    read_kept(people)
    counted_at = set(KeptReadiness.objects.values_list("counted_at", flat=True))

    with CaptureQueriesContext(connection) as queries:
        assert not kept.bring_up_to_date(people)

    assert len(queries) == 1  # whose rows are out of date: nobody's
    assert set(KeptReadiness.objects.values_list("counted_at", flat=True)) == counted_at


# Every change they are counted from ---------------------------------------------------------


def test_new_evidence_is_counted_on_the_next_read(org):
    before = report_figures(org)
    record(org, next_items(org)[0], days_ago(1))

    after = report_figures(org)

    assert (before["next_shown"], after["next_shown"]) == (0, 1)
    assert after == counted(Employee.objects.filter(pk=org.report.pk))[org.report.pk]


def test_a_win_counts_once_confirmed_and_not_once_declined_or_deleted(org):
    item = next_items(org)[0]
    win = evidence_services.log_win(
        employee=org.report,
        expectation=item,
        by=org.report.user,
        observed_on=days_ago(2),
        description="Shipped it",
    )
    assert report_figures(org)["next_shown"] == 0  # waiting for the manager

    evidence_services.confirm_win(evidence=win, by=org.manager.user)
    assert report_figures(org)["next_shown"] == 1

    evidence_services.delete_evidence(evidence=win, by=org.report.user)
    assert report_figures(org)["next_shown"] == 0

    other = evidence_services.log_win(
        employee=org.report,
        expectation=item,
        by=org.report.user,
        observed_on=days_ago(2),
        description="Shipped it again",
    )
    evidence_services.decline_win(evidence=other, by=org.manager.user, reason="Not yet.")
    assert report_figures(org)["next_shown"] == 0


def test_editing_evidence_onto_another_expectation_moves_the_count(org):
    first, second = next_items(org)[:2]
    item = record(org, first, days_ago(3))
    assert report_figures(org)["next_shown"] == 1

    evidence_services.edit_evidence(
        evidence=item,
        by=org.manager.user,
        expectation=next_items(org, "apm")[0],
        observed_on=item.observed_on,
        description=item.description,
        link="",
        criteria=[],
        visibility="shared",
        kind="shows",
        version=item.version,
    )

    figures = report_figures(org)
    assert figures["next_shown"] == 0
    assert figures == counted(Employee.objects.filter(pk=org.report.pk))[org.report.pk]
    assert second  # the level has more than one expectation


def test_a_shared_review_counts_its_ratings(org):
    target = org.ladder.levels.get(key="senior-pm")
    review = reviews.start_review(employee=org.report, target_level=target, by=org.manager.user)
    review = reviews.save_review(
        review=review,
        ratings={rating.pk: ("meets", "") for rating in review.ratings.all()},
        readiness="developing",
        summary="Good half.",
        version=review.version,
        by=org.manager.user,
    )
    assert report_figures(org)["next_shown"] == 0  # a draft counts for nobody

    reviews.share_review(review=review, by=org.manager.user)

    figures = report_figures(org)
    assert figures["next_shown"] == figures["next_total"] > 0


def test_a_new_level_is_counted_against_its_own_next_level(shown):
    org = shown
    assert report_figures(org)["next_level_id"] == org.ladder.levels.get(key="senior-pm").pk

    services.assign_level(
        employee=org.report,
        level=org.ladder.levels.get(key="senior-pm"),
        track=org.report.track,
        effective_on=TODAY,
        by=org.manager.user,
        rationale="Promoted",
    )

    figures = report_figures(org)
    assert figures["next_level_id"] != org.ladder.levels.get(key="senior-pm").pk
    assert figures == counted(Employee.objects.filter(pk=org.report.pk))[org.report.pk]


def test_a_change_to_the_ladder_is_counted_on_the_next_read(shown):
    org = shown
    before = report_figures(org)

    ladder_services.retire(Expectation.objects.filter(pk=next_items(org)[0].pk))

    after = report_figures(org)
    assert after["next_total"] == before["next_total"] - 1
    assert after == counted(Employee.objects.filter(pk=org.report.pk))[org.report.pk]


def test_a_new_readiness_rule_applies_at_once(shown):
    org = shown
    assert report_figures(org)["next_badge"] == readiness.READY[0]

    org.ladder.ready_span_months = 12
    org.ladder.save(update_fields=["ready_span_months"])

    assert report_figures(org)["next_badge"] == readiness.CLOSE[0]


def test_a_row_counted_before_a_change_is_out_of_date_after_it(org):
    """A row counted in a request that read the evidence before another's change holds for
    the generation it read: the change leaves it out of date, whenever it is written."""
    people = Employee.objects.filter(pk=org.report.pk)
    kept.recount([org.report.pk])
    kept.changed(org.report)  # as a change committed meanwhile would

    assert list(kept.out_of_date(people).values_list("pk", flat=True)) == [org.report.pk]


# Many out of date ---------------------------------------------------------------------------


def test_counting_again_costs_the_same_queries_for_few_and_many(org):
    # The ladder's structure cached and its next levels written, as on a running server.
    kept.bring_up_to_date(Employee.objects.all())
    bulk_people(5, like=org.report, manager=org.manager, name="Few {i}", email="few{i}@x.example")
    with CaptureQueriesContext(connection) as few:
        kept.bring_up_to_date(Employee.objects.all())
    bulk_people(
        120, like=org.report, manager=org.manager, name="Many {i}", email="many{i}@x.example"
    )
    with CaptureQueriesContext(connection) as many:
        kept.bring_up_to_date(Employee.objects.all())

    assert len(many) == len(few)
    assert not kept.out_of_date(Employee.objects.all()).exists()


def test_more_than_a_request_counts_go_to_a_task(org, monkeypatch):
    monkeypatch.setattr(kept, "RECOUNT_IN_REQUEST", 2)
    cache.delete(kept.QUEUED_KEY)
    everyone = Employee.objects.all()

    # The task runs at once in tests: everyone is up to date when the page reads.
    assert kept.bring_up_to_date(everyone) == kept.Behind(0)
    assert not kept.out_of_date(everyone).exists()
    assert cache.get(kept.QUEUED_KEY) is None


def test_while_a_task_counts_pages_say_how_many_are_behind(org, monkeypatch, as_user):
    monkeypatch.setattr(kept, "RECOUNT_IN_REQUEST", 2)
    cache.set(kept.QUEUED_KEY, True)  # a task is queued already: none is queued again
    try:
        behind = kept.bring_up_to_date(Employee.objects.all())
        assert behind.people == Employee.objects.count()

        page = as_user(org.hr).get(reverse("insights:org"))
        team = as_user(org.boss.user).get(
            reverse("assessments:team"), {"sort": "-next", "scope": "all"}
        )
    finally:
        cache.delete(kept.QUEUED_KEY)

    assert page.status_code == team.status_code == 200
    assert "being counted again after a change to a ladder" in page.content.decode()
    assert "being counted again after a change to a ladder" in team.content.decode()


def test_pages_read_up_to_date_figures_say_nothing_of_it(shown, as_user):
    page = as_user(shown.hr).get(reverse("insights:org"))

    assert page.status_code == 200
    assert "being counted again" not in page.content.decode()
    assert not kept.out_of_date(Employee.objects.all()).exists()

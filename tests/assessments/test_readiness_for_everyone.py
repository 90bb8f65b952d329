"""Readiness people can trust: one figure for whoever looks, counted from shared evidence
that shows the expectations and the latest shared review, by the ladder's own rule, in the
words the reviews use (Not yet / Getting close / Ready)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import evidence as evidence_services
from assessments import readiness, reviews
from assessments.models import Employee, Review
from levels.models import Expectation

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
OLD_WORDS = ("Building evidence", "Getting there", "Not ready yet")
RULE = "Ready: at least 80% of the expectations shown with evidence over at least 6 months."


def expectations(org, level="pm"):
    return list(
        Expectation.objects.filter(level__ladder=org.ladder, level__key=level).order_by(
            "category__position", "position"
        )
    )


def record(org, expectation, observed_on, **extra):
    fields = {"visibility": "shared", "description": "Did it", **extra}
    return evidence_services.record_evidence(
        employee=org.report,
        expectation=expectation,
        by=org.manager.user,
        observed_on=observed_on,
        **fields,
    )


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def figure(result):
    """What every viewer must agree on."""
    return (result.covered, result.total, result.percent, result.first, result.last, result.badge)


def measure(org, level="pm"):
    return readiness.readiness(employee=org.report, level=org.ladder.levels.get(key=level))


def exceeds_everywhere_in_a_draft(org):
    """A draft review by the manager rating every expectation of the level Exceeds: it
    must count for nobody until shared."""
    draft = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    return reviews.save_review(
        review=draft,
        ratings={rating.pk: ("exceeds", "") for rating in draft.ratings.all()},
        readiness="",
        summary="",
        version=draft.version,
        by=org.manager.user,
    )


def shared_review(org, level, ratings, readiness_word=Review.Readiness.DEVELOPING):
    """A shared review of the report against `level`: {expectation index: rating}, the
    rest "developing"."""
    target = org.ladder.levels.get(key=level)
    review = reviews.start_review(employee=org.report, target_level=target, by=org.manager.user)
    order = {e.pk: index for index, e in enumerate(expectations(org, level))}
    review = reviews.save_review(
        review=review,
        ratings={
            rating.pk: (ratings.get(order[rating.expectation_id], "developing"), "")
            for rating in review.ratings.all()
        },
        readiness=readiness_word,
        summary="Seen this half.",
        version=review.version,
        by=org.manager.user,
    )
    return reviews.share_review(review=review, by=org.manager.user)


@pytest.fixture
def mixed(org):
    """The report's record as the issue found it: shared evidence for two expectations, a
    private note about a third (a concern), a growth note, and a draft review the manager
    is writing."""
    items = expectations(org)
    record(org, items[0], days_ago(200))
    record(org, items[1], days_ago(20))
    record(org, items[2], days_ago(10), visibility="private", description="A concern")
    record(org, items[3], days_ago(5), kind="growth", description="Needs sharper specs")
    exceeds_everywhere_in_a_draft(org)
    return org


# One figure ---------------------------------------------------------------------------------


def test_only_shared_confirmed_evidence_that_shows_counts(mixed):
    """The figure takes no viewer: it is the person's, whoever looks (the pages below)."""
    assert figure(measure(mixed))[:3] == (2, 16, 12)  # the two shared pieces only


def test_the_pages_show_the_person_the_manager_and_hr_the_same_figure(mixed, as_user):
    org = mixed
    person_url = reverse("assessments:person", kwargs={"pk": org.report.pk})

    pages = {
        "me": as_user(org.report.user).get(reverse("assessments:me")),
        "manager": as_user(org.manager.user).get(person_url),
        "hr": as_user(org.hr).get(person_url),
    }
    packet = as_user(org.manager.user).get(
        reverse("assessments:packet", kwargs={"pk": org.report.pk}) + "?level=pm"
    )
    team = as_user(org.manager.user).get(reverse("assessments:team"))

    for response in pages.values():
        assert figure(response.context["readiness"]) == figure(pages["me"].context["readiness"])
        assert "Evidence for 2 of 16 expectations (12%)" in response.content.decode()
    assert figure(packet.context["readiness"]) == figure(pages["me"].context["readiness"])
    assert b"A concern" in pages["manager"].content  # still listed for the manager chain
    assert b"A concern" not in pages["me"].content
    me_next = pages["me"].context["placement"].next_steps[0].readiness
    team_row = next(p for p in team.context["page"] if p.pk == org.report.pk)
    assert (team_row.next_percent, team_row.badge) == (me_next.percent, me_next.badge)


def test_a_private_note_and_a_growth_note_change_nothing(org):
    items = expectations(org)
    for index in range(13):
        record(org, items[index], days_ago(10 + index * 20))
    before = figure(measure(org))

    record(org, items[13], days_ago(3), visibility="private", description="Private praise")
    record(org, items[14], days_ago(400), kind="growth", description="Late updates")
    record(org, items[15], days_ago(2), kind="growth", visibility="private")
    after = figure(measure(org))

    assert after == before
    assert before[:3] == (13, 16, 81)


def test_the_latest_shared_review_counts_its_meets_and_exceeds_and_drafts_count_for_nobody(org):
    shared_review(org, "pm", {0: "meets", 1: "exceeds", 2: "not_yet"})
    newer = shared_review(org, "pm", {3: "meets"})
    draft = exceeds_everywhere_in_a_draft(org)

    manager = measure(org)

    by = manager.by_expectation()
    items = expectations(org)
    assert [by[e.pk].rating for e in items[:4]] == ["developing"] * 3 + ["meets"]  # the newer
    assert manager.covered == 1  # only the newer review's Meets
    assert newer.pk != draft.pk


# The span window ----------------------------------------------------------------------------


def ready_except_for_the_span(org, first, last):
    """Shared evidence for 13 of 16 expectations (81%), from `first` to `last`."""
    items = expectations(org)
    record(org, items[0], first)
    for item in items[1:13]:
        record(org, item, last)


def test_exactly_six_months_of_evidence_is_ready_with_the_rule_beside_the_badge(org, as_user):
    first = days_ago(300)
    ready_except_for_the_span(org, first, readiness.add_months(first, 6))

    result = measure(org)
    page = as_user(org.report.user).get(reverse("assessments:me")).content.decode()

    assert result.consistent
    assert result.badge == ("ready", "Ready")
    assert '<span class="badge readiness-ready">Ready</span>' in page
    assert RULE in page


def test_a_day_short_of_six_months_is_getting_close_whatever_private_notes_add(org):
    first = days_ago(300)
    six_months = readiness.add_months(first, 6)
    ready_except_for_the_span(org, first, six_months - datetime.timedelta(1))
    items = expectations(org)
    # Notes on the very day six months are reached: they would close the gap if they counted.
    record(org, items[13], six_months, visibility="private")
    record(org, items[14], six_months, kind="growth")

    result = measure(org)

    assert not result.consistent
    assert result.badge == ("close", "Getting close")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (datetime.date(2026, 1, 15), datetime.date(2026, 7, 15), True),
        (datetime.date(2026, 1, 15), datetime.date(2026, 7, 14), False),
        (datetime.date(2026, 8, 31), datetime.date(2027, 2, 28), True),  # to a short month
        (datetime.date(2026, 8, 31), datetime.date(2027, 2, 27), False),
    ],
)
def test_the_span_at_its_boundary_dates(first, last, expected):
    assert readiness.Rule(80, 6).spans(first, last) is expected


# The ladder's rule --------------------------------------------------------------------------


def test_a_ladder_asking_for_half_over_three_months(org, as_user):
    items = expectations(org)
    first = days_ago(200)
    record(org, items[0], first)
    for item in items[1:8]:  # 8 of 16: 50%
        record(org, item, readiness.add_months(first, 3))

    default = measure(org)
    org.ladder.ready_coverage, org.ladder.ready_span_months = 50, 3
    org.ladder.save()
    org.report.refresh_from_db()
    lenient = measure(org)
    page = as_user(org.report.user).get(reverse("assessments:me")).content.decode()

    assert default.badge == ("close", "Getting close")
    assert lenient.badge == ("ready", "Ready")
    assert (
        "Ready: at least 50% of the expectations shown with evidence over at least 3 months. "
        "Getting close: at least 50% shown." in page
    )


def test_a_ladders_three_months_at_the_boundary_dates(org):
    org.ladder.ready_coverage, org.ladder.ready_span_months = 50, 3
    org.ladder.save()
    org.report.refresh_from_db()
    items = expectations(org)
    first = days_ago(200)
    record(org, items[0], first)
    for item in items[1:8]:  # 8 of 16: 50%
        record(org, item, readiness.add_months(first, 3) - datetime.timedelta(1))

    a_day_short = measure(org).badge
    record(org, items[8], readiness.add_months(first, 3))
    exactly = measure(org).badge

    assert a_day_short == ("close", "Getting close")
    assert exactly == ("ready", "Ready")


def test_a_ladder_with_no_minimum_span_and_a_low_coverage(org):
    rule = readiness.Rule(coverage=40, span_months=0)

    assert rule.badge(7, 16, rule.spans(TODAY, TODAY)) == ("ready", "Ready")  # 43.75%
    assert rule.badge(6, 16, True) == ("building", "Not yet")
    assert rule.text == (
        "Ready: at least 40% of the expectations shown with evidence. "
        "Getting close: at least 40% shown."
    )


def test_the_database_figure_uses_each_ladders_rule(org):
    org.ladder.ready_coverage, org.ladder.ready_span_months = 50, 3
    org.ladder.save()
    org.report.refresh_from_db()
    senior = expectations(org, "senior-pm")
    first = days_ago(200)
    record(org, senior[0], first)
    for item in senior[1:8]:
        record(org, item, readiness.add_months(first, 3))

    row = readiness.with_readiness(Employee.objects.filter(pk=org.report.pk)).get()

    assert (row.next_level_id, row.next_percent, row.next_badge) == (
        senior[0].level_id,
        50,
        "ready",
    )


def test_the_ladder_admin_shows_the_readiness_rule(org, admin_client):
    response = admin_client.get(reverse("admin:levels_ladder_change", args=[org.ladder.pk]))

    content = response.content.decode()
    assert 'name="ready_coverage"' in content
    assert 'name="ready_span_months"' in content
    assert "Coverage for Ready (%)" in content


# One vocabulary -----------------------------------------------------------------------------


def test_the_words_on_the_person_page_me_the_packet_and_a_review(mixed, as_user):
    org = mixed
    review = shared_review(org, "senior-pm", {}, Review.Readiness.DEVELOPING)
    person_url = reverse("assessments:person", kwargs={"pk": org.report.pk})

    pages = {
        "person": as_user(org.manager.user).get(person_url),
        "me": as_user(org.report.user).get(reverse("assessments:me")),
        "packet": as_user(org.manager.user).get(
            reverse("assessments:packet", kwargs={"pk": org.report.pk})
        ),
        "review": as_user(org.report.user).get(
            reverse("assessments:review", kwargs={"pk": review.pk})
        ),
    }

    for name, response in pages.items():
        content = response.content.decode()
        assert response.status_code == 200, name
        for old in OLD_WORDS:
            assert old not in content, (name, old)
        if name == "review":
            assert "Getting close" in content
        else:
            assert '<span class="badge readiness-building">Not yet</span>' in content, name
            assert RULE in content, name
            assert "Getting close: at least 50% shown." in content, name


def test_review_readiness_keeps_its_stored_values_with_the_new_words():
    assert Review.Readiness.choices == [
        ("not_ready", "Not yet"),
        ("developing", "Getting close"),
        ("ready", "Ready"),
    ]


def test_the_shared_review_email_uses_the_words(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shared_review(org, "pm", {}, Review.Readiness.READY)

    assert "Overall readiness: Ready (Not yet, Getting close or Ready)." in mailoutbox[0].body


def test_growth_notes_on_me_are_labelled_what_to_work_on(mixed, as_user):
    content = as_user(mixed.report.user).get(reverse("assessments:me")).content.decode()

    to_work_on = content.partition('id="growth-heading"')[2]
    assert ">To work on</h2>" in to_work_on
    assert "Needs sharper specs" in to_work_on
    assert "They never change readiness." in to_work_on


# What it costs ------------------------------------------------------------------------------


def test_readiness_costs_one_query_with_the_expectations_and_criteria_at_hand(mixed):
    org = mixed
    items = expectations(org)
    criteria = list(org.ladder.promotion_criteria.all())

    with CaptureQueriesContext(connection) as queries:
        readiness.readiness(
            employee=org.report,
            level=org.report.level,
            expectations=items,
            criteria=criteria,
        )

    # evidence per expectation and day, criteria support and the latest shared review's
    # ratings, together (readiness.readiness_for)
    assert len(queries) == 1

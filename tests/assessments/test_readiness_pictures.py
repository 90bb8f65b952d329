"""Readiness drawn and next-level work easy to record: a button beside each expectation
that preselects it, bars per category, and a timeline of the counted evidence."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import evidence as evidence_services
from assessments import readiness
from assessments.templatetags.readiness_pictures import readiness_bars, readiness_timeline
from levels.models import Expectation

pytestmark = pytest.mark.django_db


def expectations(org, level):
    return list(
        Expectation.objects.active()
        .filter(level__ladder=org.ladder, level__key=level)
        .select_related("category")
        .order_by("category__position", "position", "id")
    )


def record(org, expectation, observed_on, visibility="shared"):
    return evidence_services.record_evidence(
        employee=org.report,
        expectation=expectation,
        by=org.manager.user,
        observed_on=observed_on,
        description="Did it",
        visibility=visibility,
    )


def new_next_level_expectation(org):
    """An expectation of Senior PM that PM does not have: listed under what changes."""
    current = {e.text.casefold() for e in expectations(org, "pm")}
    return next(e for e in expectations(org, "senior-pm") if e.text.casefold() not in current)


def page(client, name, **kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


def button(content, employee, expectation, text):
    """The link beside an expectation that opens the evidence form with it preselected."""
    url = reverse("assessments:evidence_new", kwargs={"pk": employee.pk})
    href = html.escape(f"{url}?expectation={expectation.pk}")
    return re.search(rf'<a [^>]*href="{re.escape(href)}"[^>]*>{re.escape(text)}<', content)


def preselected(client, employee, expectation):
    url = reverse("assessments:evidence_new", kwargs={"pk": employee.pk})
    response = client.get(url, {"expectation": expectation.pk})
    assert response.status_code == 200
    return re.search(rf'<option value="{expectation.pk}" selected>', response.content.decode())


# Buttons beside the expectations


def test_the_person_gets_log_a_win_beside_next_and_current_level_expectations(org, as_user):
    client = as_user(org.report.user)
    content = page(client, "assessments:me")
    upcoming = new_next_level_expectation(org)
    current = expectations(org, "pm")[0]

    assert button(content, org.report, upcoming, "Log a win for this")
    assert button(content, org.report, current, "Log a win for this")
    assert "Record evidence<span" not in content
    assert preselected(client, org.report, upcoming)
    assert preselected(client, org.report, current)


def test_the_manager_gets_record_evidence_that_preselects_the_next_level_expectation(org, as_user):
    client = as_user(org.manager.user)
    content = page(client, "assessments:person", pk=org.report.pk)
    upcoming = new_next_level_expectation(org)

    assert button(content, org.report, upcoming, "Record evidence")
    assert "Log a win for this" not in content
    assert preselected(client, org.report, upcoming)


def test_hr_gets_record_evidence_too(org, as_user):
    content = page(as_user(org.hr), "assessments:person", pk=org.report.pk)

    assert button(content, org.report, new_next_level_expectation(org), "Record evidence")


def test_an_unrelated_manager_gets_404_for_the_page_and_the_form(org, as_user):
    client = as_user(org.other_manager.user)
    upcoming = new_next_level_expectation(org)

    assert (
        client.get(reverse("assessments:person", kwargs={"pk": org.report.pk})).status_code == 404
    )
    url = reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})
    assert client.get(url, {"expectation": upcoming.pk}).status_code == 404


def test_next_level_expectations_say_whether_they_are_shown(org, as_user):
    current = {e.text.casefold() for e in expectations(org, "pm")}
    upcoming, other = [
        e for e in expectations(org, "senior-pm") if e.text.casefold() not in current
    ][:2]
    record(org, upcoming, datetime.date(2026, 3, 4))

    content = page(as_user(org.report.user), "assessments:me")
    next_part = content[content.index('id="expected-next"') :]

    def item_of(expectation):
        before = next_part[: next_part.index(f"?expectation={expectation.pk}")]
        return before[before.rindex("<li>") :]

    assert "Shown with evidence" in item_of(upcoming)
    assert "1 piece, latest 4 Mar 2026" in item_of(upcoming)
    assert ">Not yet</span>" in item_of(other)
    assert "Shown with evidence" not in item_of(other)


# Bars


def test_bars_give_the_readiness_numbers_per_category_and_overall(org, as_user):
    items = expectations(org, "pm")
    record(org, items[0], datetime.date(2026, 1, 3))
    record(org, items[1], datetime.date(2026, 2, 3))
    record(org, items[-1], datetime.date(2026, 2, 3))
    record(org, items[2], datetime.date(2026, 2, 3), visibility="private")  # never counts
    result = readiness.readiness(employee=org.report, level=org.report.level)

    content = page(as_user(org.report.user), "assessments:me")

    by_category = {}
    for item in result.items:
        shown, total = by_category.get(item.expectation.category.name, (0, 0))
        by_category[item.expectation.category.name] = (shown + item.covered, total + 1)
    assert len(by_category) > 1
    for name, (shown, total) in [("Overall", (result.covered, result.total)), *by_category.items()]:
        label = html.escape(f"{name}: {shown} of {total} shown")
        assert re.search(
            rf'<progress max="{total}" value="{shown}" aria-label="{re.escape(label)}">', content
        ), label
    assert (result.covered, result.total) == (3, 16)


def test_bars_follow_the_placement_order_and_skip_empty_categories(org):
    items = expectations(org, "pm")
    record(org, items[0], datetime.date(2026, 1, 3))
    result = readiness.readiness(employee=org.report, level=org.report.level)
    categories = list(org.ladder.categories.active())

    class Group:
        def __init__(self, category):
            self.category = category

    bars = readiness_bars(result, [Group(c) for c in reversed(categories)])

    names = [c.name for c in reversed(categories) if any(i.category_id == c.pk for i in items)]
    assert [bar.name for bar in bars] == ["Overall", *names]
    assert bars[0].label == "Overall: 1 of 16 shown"
    assert sum(bar.total for bar in bars[1:]) == 16


# Timeline


def test_span_in_months_and_days():
    assert readiness.months_and_days(datetime.date(2026, 1, 3), datetime.date(2026, 7, 14)) == (
        6,
        11,
    )
    assert readiness.months_and_days(datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)) == (
        1,
        0,
    )
    assert readiness.months_and_days(datetime.date(2026, 1, 31), datetime.date(2026, 2, 27)) == (
        0,
        27,
    )


def test_the_timeline_says_its_dates_in_words(org, as_user):
    items = expectations(org, "pm")
    record(org, items[0], datetime.date(2026, 1, 3))
    record(org, items[1], datetime.date(2026, 4, 20))
    record(org, items[1], datetime.date(2026, 4, 20))
    record(org, items[2], datetime.date(2026, 7, 14))
    record(org, items[3], datetime.date(2025, 6, 1), visibility="private")  # never counts

    content = page(as_user(org.report.user), "assessments:me")

    text = "Evidence from 3 Jan 2026 to 14 Jul 2026: 6 months 11 days, the rule asks for 6 months"
    level = org.report.level.pk
    assert f'<title id="readiness-timeline-{level}">{text}</title>' in content
    assert f'aria-labelledby="readiness-timeline-{level}"' in content
    # One dot per day of counted evidence, the day with two pieces drawn bigger.
    assert "<title>3 Jan 2026: 1 piece</title>" in content
    assert "<title>20 Apr 2026: 2 pieces</title>" in content
    assert "<title>14 Jul 2026: 1 piece</title>" in content
    assert "1 Jun 2025" not in content


def test_the_timeline_places_the_days_and_the_rules_months():
    class Level:
        pk = 7

    result = readiness.Readiness(
        level=Level(),
        items=[],
        first=datetime.date(2026, 1, 1),
        last=datetime.date(2026, 4, 1),
        dates=[(datetime.date(2026, 1, 1), 1), (datetime.date(2026, 4, 1), 3)],
        rule=readiness.Rule(coverage=80, span_months=6),
    )

    timeline = readiness_timeline(result)

    # The line runs to where six months from the first evidence end: 1 July.
    assert (timeline.start, timeline.end) == (datetime.date(2026, 1, 1), datetime.date(2026, 7, 1))
    assert [dot.x for dot in timeline.dots] == ["3.00%", "49.74%"]  # 90 of 181 days
    assert [dot.r for dot in timeline.dots] == [5, 7]
    assert (timeline.rule_from, timeline.rule_to) == ("3.00%", "97.00%")
    assert not timeline.rule_met
    assert timeline.text == (
        "Evidence from 1 Jan 2026 to 1 Apr 2026: 3 months, the rule asks for 6 months"
    )


def test_no_timeline_without_counted_evidence(org, as_user):
    record(org, expectations(org, "pm")[0], datetime.date(2026, 1, 3), visibility="private")

    content = page(as_user(org.manager.user), "assessments:person", pk=org.report.pk)

    assert "readiness-timeline-" not in content
    assert "Overall: 0 of 16 shown" in content


# No new queries


def test_the_pictures_and_buttons_cost_no_query(org, as_user):
    items = expectations(org, "pm")
    record(org, items[0], datetime.date(2026, 1, 3))
    record(org, new_next_level_expectation(org), datetime.date(2026, 5, 3))

    def count(user, name, **kwargs):
        client = as_user(user)
        page(client, name, **kwargs)  # the first visit caches the ladder's structure
        with CaptureQueriesContext(connection) as queries:
            page(client, name, **kwargs)
        return len(queries)

    # session, user, employee (navigation), their level history, readiness for every level
    # measured (current and next, one query; the ladder's structure is cached), the
    # evidence listed and its criteria, HR group, their nominations and the rounds open to
    # nominations (promotion rounds), the rounds they may see (navigation), the reviews
    # listed.
    assert count(org.report.user, "assessments:me") == 12
    # The same, with the person looked up (that the manager is above them is read from
    # the two paths, no query; a manager's navigation shows rounds without asking), and
    # the navigation's counts (for the report, they ride on the rounds query).
    assert count(org.manager.user, "assessments:person", pk=org.report.pk) == 13

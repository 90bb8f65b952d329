"""Readiness and time in level written in SQL (`readiness.with_readiness`,
`services.level_since_in_history`, and the date kept from it, `Employee.level_since`) give
what the Python definitions give, person by person: the lists that sort and count by them
must agree with every person's own page."""

import datetime
import random

import pytest
from django.utils import timezone

from assessments import readiness, reviews, services
from assessments.models import Employee, Evidence, LevelAssignment, Review
from levels.models import Expectation
from levels.structure import ladder_structure

from ..conftest import place
from ..factories import history_since, make_evidence

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Dates that try the calendar: month ends, a leap day, and the six-month line from both sides.
EDGE_DAYS = [
    datetime.date(2024, 1, 31),
    datetime.date(2024, 2, 29),
    datetime.date(2024, 7, 30),
    datetime.date(2024, 7, 31),
    datetime.date(2024, 8, 31),
    datetime.date(2025, 2, 28),
    datetime.date(2025, 8, 27),
    datetime.date(2025, 8, 28),
    datetime.date(2025, 8, 31),
    datetime.date(2026, 3, 31),
    datetime.date(2026, 9, 30),
]


def _python_figures(person):
    """(current, next) as the person's page measures them, or None for the next at the top
    of a track."""
    structure = ladder_structure(person.ladder)
    after = structure.next_levels().get((person.track_id, person.level_id))
    levels = [person.level] + ([after] if after else [])
    lists = structure.expectations(levels)
    measured = readiness.readiness_for(
        employee=person,
        targets=[(level, lists[level.pk]) for level in levels],
        criteria=structure.criteria,
    )
    return measured[0], (measured[1] if after else None)


@pytest.fixture
def varied(org):
    """Twenty people on every level and both tracks, with evidence of every kind and
    status on their level and the next, on days that try the calendar, and shared and
    draft reviews."""
    rng = random.Random(13)
    manager_user = org.manager.user
    keys = list(org.ladder.levels.values_list("key", "track_levels__track__key"))
    people = []
    for i in range(20):
        level, track = keys[i % len(keys)]
        people.append(place(org.ladder, f"p{i}", f"Person {i}", level, track or "ic", org.manager))
    structure = ladder_structure(org.ladder)
    following = structure.next_levels()
    for index, person in enumerate(people):
        after = following.get((person.track_id, person.level_id))
        levels = [person.level] + ([after] if after else [])
        items = list(Expectation.objects.filter(level__in=levels).select_related("level"))
        # Mostly full coverage for some, a little for others.
        share = [0.0, 0.3, 0.6, 0.9, 1.0][index % 5]
        for expectation in items:
            if rng.random() > share:
                continue
            fields = rng.choice(
                [
                    {},
                    {},
                    {},
                    {"visibility": Evidence.Visibility.PRIVATE},
                    {"kind": Evidence.Kind.GROWTH},
                    {"status": Evidence.Status.PENDING},
                    {"status": Evidence.Status.DECLINED},
                    {"deleted_at": timezone.now()},
                ]
            )
            make_evidence(person, expectation, rng.choice(EDGE_DAYS), by=manager_user, **fields)
        if after and index % 3 == 0:
            review = reviews.start_review(employee=person, target_level=after, by=manager_user)
            ratings = {
                r.pk: (rng.choice(["meets", "exceeds", "developing", "not_yet"]), "")
                for r in review.ratings.all()
            }
            review = reviews.save_review(
                review=review,
                ratings=ratings,
                readiness=Review.Readiness.DEVELOPING,
                summary="Seen",
                version=review.version,
                by=manager_user,
            )
            if index % 2 == 0:
                reviews.share_review(review=review, by=manager_user)
    # A retired expectation and a retired category are never measured.
    retired = Expectation.objects.filter(level=people[4].level).order_by("pk").first()
    retired.is_active = False
    retired.save()
    return people


def test_with_readiness_agrees_with_every_persons_page(varied):
    rows = readiness.with_readiness(Employee.objects.filter(pk__in=[p.pk for p in varied]))
    badges_seen = set()
    for row in rows.select_related("ladder", "level", "track"):
        current, after = _python_figures(row)
        assert (row.current_shown, row.current_total, row.current_percent) == (
            current.covered,
            current.total,
            current.percent,
        ), row
        if after is None:
            assert row.next_level_id is None
            assert row.next_badge is None
            continue
        assert row.next_level_id == after.level.pk
        assert (row.next_shown, row.next_total, row.next_percent) == (
            after.covered,
            after.total,
            after.percent,
        ), row
        assert (row.next_first, row.next_last) == (after.first, after.last), row
        assert row.next_spans == after.consistent, row
        assert row.next_badge == after.badge[0], row
        badges_seen.add(row.next_badge)
    # The data tries every badge, so the agreement means something.
    assert badges_seen == {"ready", "close", "building"}


@pytest.mark.parametrize(
    ("first", "last", "months", "spans"),
    [
        ((2024, 1, 31), (2024, 7, 30), 6, False),
        ((2024, 1, 31), (2024, 7, 31), 6, True),
        ((2024, 8, 31), (2025, 2, 27), 6, False),
        ((2024, 8, 31), (2025, 2, 28), 6, True),  # the end of a short month
        ((2023, 8, 31), (2024, 2, 28), 6, False),  # a leap year: the 29th is the end
        ((2023, 8, 31), (2024, 2, 29), 6, True),
        ((2024, 3, 15), (2024, 9, 14), 6, False),
        ((2024, 3, 15), (2024, 9, 15), 6, True),
        ((2024, 3, 15), (2024, 3, 15), 0, True),
        ((2020, 12, 31), (2021, 6, 30), 6, True),
        ((2020, 12, 31), (2021, 6, 29), 6, False),
    ],
)
def test_the_span_in_sql_follows_calendar_months(org, first, last, months, spans):
    from django.db.models import DateField, IntegerField, Value

    first, last = datetime.date(*first), datetime.date(*last)
    assert readiness.Rule(span_months=months).spans(first, last) is spans
    row = (
        Employee.objects.filter(pk=org.report.pk)
        .annotate(
            ok=readiness._spans(
                Value(first, output_field=DateField()),
                Value(last, output_field=DateField()),
                Value(months, output_field=IntegerField()),
            )
        )
        .get()
    )
    assert row.ok is spans


def test_with_readiness_costs_the_same_queries_for_any_number_of_people(varied):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    list(readiness.with_readiness(Employee.objects.none()))  # the structure, kept
    counts = []
    for people in [Employee.objects.filter(pk=varied[0].pk), Employee.objects.all()]:
        with CaptureQueriesContext(connection) as queries:
            rows = list(readiness.with_readiness(people))
        counts.append(len(queries))
    assert len(rows) == Employee.objects.count() > 20
    # The ladders (with their structure, unless kept), the totals, then the people: one.
    assert counts[0] == counts[1]


def counted(people):
    """{pk: (kept level_since, the history's count in SQL, the Python walk)} of `people`."""
    rows = people.annotate(counted=services.level_since_in_history())
    return {row.pk: (row.level_since, row.counted, history_since(row)) for row in rows}


def test_level_since_kept_and_counted_agree_with_the_history(org):
    person = org.report
    start = TODAY - datetime.timedelta(days=350)  # placed 360 days ago

    def assign(level, days, track=None):
        return services.assign_level(
            employee=person,
            level=org.ladder.levels.get(key=level),
            track=track or person.track,
            effective_on=start + datetime.timedelta(days=days),
            rationale="Moved",
            by=org.hr,
        )

    assign("senior-pm", 50)
    assign("pm", 150)  # a step down
    assert person.level_since == start + datetime.timedelta(days=150)  # the caller's copy
    # A second row at the same level (an import may write one) continues the run.
    LevelAssignment.objects.create(
        employee=person,
        level=person.level,
        track=person.track,
        effective_on=start + datetime.timedelta(days=250),
    )
    rows = counted(Employee.objects.all())
    assert len(rows) > 5
    for pk, (kept, in_sql, in_python) in rows.items():
        assert kept == in_sql == in_python, pk
    assert rows[person.pk][0] == start + datetime.timedelta(days=150)

    # Counting everyone again changes nobody.
    services.keep_level_since(Employee.objects.all())
    assert counted(Employee.objects.all()) == rows


def test_a_move_to_another_track_keeps_the_date_and_a_new_level_restarts_it(org):
    person = place(org.ladder, "mover", "Mo Ver", "senior-pm", months_ago=6)
    placed = TODAY - datetime.timedelta(days=180)
    assert person.level_since == placed
    services.assign_level(
        employee=person,
        level=person.level,
        track=org.ladder.tracks.get(key="management"),
        effective_on=TODAY - datetime.timedelta(days=5),
        by=None,
    )
    assert Employee.objects.get(pk=person.pk).level_since == placed
    services.assign_level(
        employee=person,
        level=org.ladder.levels.get(key="pm-manager"),
        track=person.track,
        effective_on=TODAY - datetime.timedelta(days=2),
        by=None,
    )
    person = Employee.objects.get(pk=person.pk)
    assert person.level_since == TODAY - datetime.timedelta(days=2) == history_since(person)


def test_level_since_on_one_day_follows_the_order_of_the_history(org):
    """Two assignments on the same day: the later one (by id) is the current run."""
    person = org.report
    day = TODAY - datetime.timedelta(days=10)
    pm, senior = org.ladder.levels.get(key="pm"), org.ladder.levels.get(key="senior-pm")
    LevelAssignment.objects.create(
        employee=person, level=senior, track=person.track, effective_on=day
    )
    LevelAssignment.objects.create(employee=person, level=pm, track=person.track, effective_on=day)
    services.keep_level_since(Employee.objects.filter(pk=person.pk))
    assert counted(Employee.objects.filter(pk=person.pk)) == {person.pk: (day, day, day)}
    LevelAssignment.objects.create(
        employee=person, level=senior, track=person.track, effective_on=day
    )
    services.keep_level_since(Employee.objects.filter(pk=person.pk))
    # The history's newest is not the person's level: no date.
    assert counted(Employee.objects.filter(pk=person.pk)) == {person.pk: (None, None, None)}


def test_the_migration_counts_everyone_from_their_history(org):
    """Migration 0016 fills the new column with the services' definition."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("assessments.migrations.0016_level_since")
    services.assign_level(
        employee=org.report,
        level=org.ladder.levels.get(key="senior-pm"),
        track=org.report.track,
        effective_on=TODAY - datetime.timedelta(days=20),
        by=None,
    )
    expected = counted(Employee.objects.all())
    Employee.objects.update(level_since=None)

    migration.count_level_since(apps, None)

    assert counted(Employee.objects.all()) == expected
    assert Employee.objects.filter(level_since__isnull=True).count() == 0


def test_without_the_current_level_the_next_levels_figures_are_the_same(varied):
    people = Employee.objects.filter(pk__in=[p.pk for p in varied]).order_by("pk")
    fields = ("pk", "next_level_id", "next_shown", "next_percent", "next_badge", "next_spans")
    both = list(readiness.with_readiness(people).values_list(*fields))
    assert list(readiness.with_readiness(people, current=False).values_list(*fields)) == both
    assert not hasattr(readiness.with_readiness(people, current=False).first(), "current_shown")

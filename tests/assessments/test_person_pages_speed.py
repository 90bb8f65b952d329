"""The pages about one person cost the same few queries however large the organisation:
the ladder's structure comes from the cache (`levels.structure`), readiness for every
level the page shows is one query (`readiness.readiness_for`), and what the viewer may
see of the person is decided once (`access.get_employee`), never asked of the tree again
by the lists on the page."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import access, readiness
from assessments import evidence as evidence_services
from assessments import reviews as review_services
from assessments.models import Employee, Evidence, Rating, Review
from rounds.models import Nomination

from ..factories import bulk_people, make_round
from ..plans import kept_plan

# /me/ with the ladder's structure cached: session, user, the viewer's employee record
# (with their ladder and its structure version), their level history, readiness for every
# level shown (one query), the evidence listed and its criteria, HR group, the nominations
# shown, the rounds open to nominate in, the rounds they may see with what waits for them
# (navigation, one query), the reviews listed.
ME_QUERIES = 12
# /people/<id>/ for their manager: the same, with the person shown loaded after the HR
# group, and no rounds query for the navigation (a manager sees the rounds), but the
# navigation's counts (for /me/ they ride on its rounds query).
PERSON_QUERIES = 13
# With nothing cached: the ladder's levels, tracks with their levels (2), active
# categories, promotion criteria and blockers, then the expectations of the levels shown.
COLD_EXTRA = 7


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(org):
    """The personas, the report with a piece of evidence (so every page lists some)."""
    record(org, org.report, days_ago=1)
    return org


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), queries


def record(org, person, *, days_ago, expectation=None):
    """Evidence from the manager, confirmed and shared with `person`: counted by readiness."""
    expectation = expectation or person.level.expectations.active().first()
    return Evidence.objects.create(
        employee=person,
        expectation=expectation,
        level=expectation.level,
        expectation_text=expectation.text,
        category_name=expectation.category.name,
        level_name=expectation.level.name,
        author=org.manager.user,
        source=Evidence.Source.MANAGER,
        observed_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        description=f"Evidence from {days_ago} days ago",
    )


def grow(org, people=300):
    """A larger organisation around the personas: `people` more below the manager, each
    with evidence, and more evidence, reviews and nominations about the report."""
    bulk_people(
        people,
        like=org.report,
        manager=lambda i: org.manager if i % 3 else org.teammate,
        name="Colleague {i:03}",
        email="colleague{i:03}@example.com",
    )
    for colleague in Employee.objects.filter(full_name__startswith="Colleague")[:50]:
        record(org, colleague, days_ago=10)
    for days in range(0, 300, 10):
        record(org, org.report, days_ago=days)
    for target in org.ladder.levels.filter(key__in=["pm", "senior-pm"]):
        Review.objects.create(
            employee=org.report,
            target_level=target,
            target_level_name=target.name,
            author=org.manager.user,
            status=Review.Status.SHARED,
            summary="Doing well.",
        )
    Nomination.objects.create(
        round=make_round(by=org.hr, state="finalised"),
        employee=org.report,
        from_level=org.report.level,
        target_level=org.ladder.levels.get(key="senior-pm"),
        target_track=org.report.track,
        nominated_by=org.manager.user,
    )


@pytest.mark.parametrize("cached", [True, False], ids=["warm cache", "cold cache"])
def test_me_costs_the_same_queries_for_a_small_and_a_larger_organisation(org, as_user, cached):
    client = as_user(org.report.user)
    url = reverse("assessments:me")

    def measure():
        if cached:
            client.get(url)
        else:
            cache.clear()
        return count(client, url)[0]

    small = measure()
    grow(org)
    large = measure()

    assert small == large == ME_QUERIES + (0 if cached else COLD_EXTRA)


@pytest.mark.parametrize("cached", [True, False], ids=["warm cache", "cold cache"])
def test_a_person_page_costs_the_same_queries_for_a_small_and_a_larger_organisation(
    org, as_user, cached
):
    client = as_user(org.manager.user)
    url = reverse("assessments:person", args=[org.report.pk])

    def measure():
        if cached:
            client.get(url)
        else:
            cache.clear()
        return count(client, url)[0]

    small = measure()
    grow(org)
    large = measure()

    assert small == large == PERSON_QUERIES + (0 if cached else COLD_EXTRA)


@pytest.mark.parametrize("viewer", ["manager", "boss", "hr"])
def test_the_lists_on_a_person_page_do_not_ask_the_tree_again(org, as_user, viewer):
    """Whether the viewer may see the person is decided once, in Python from the loaded
    paths: the evidence, reviews and nominations are read by the person alone."""
    grow(org, people=20)
    user = org.hr if viewer == "hr" else getattr(org, viewer).user

    _, queries = count(as_user(user), reverse("assessments:person", args=[org.report.pk]))

    tree = [q["sql"] for q in queries if '"path" ~>=~' in q["sql"] or '"path" >=' in q["sql"]]
    # The navigation's counts ask about the viewer's own tree (`assessments.waiting`).
    assert [sql for sql in tree if 'AS "wins"' not in sql] == []


# The person's other pages for their manager, cached: session, user, the viewer's employee
# record, HR group, the person (once, whatever the page does), the navigation's counts,
# then (before: 17, 10, 10, 9)
MANAGER_PAGES = {
    # readiness for the target level (one query), the evidence listed and its criteria,
    # the latest review (the time in level is on the person's row)
    "packet": 10,
    # their latest assignment
    "assign_level": 7,
    # the expectations to pick from, the criteria to tag
    "evidence_new": 8,
    # expectations per level to review against, the drafts already started
    "review_start": 8,
}


@pytest.mark.parametrize("url_name", list(MANAGER_PAGES))
def test_the_manager_pages_cost_the_same_queries_for_a_larger_organisation(org, as_user, url_name):
    client = as_user(org.manager.user)
    url = reverse(f"assessments:{url_name}", args=[org.report.pk])
    client.get(url)
    small = count(client, url)[0]
    grow(org)
    client.get(url)

    assert count(client, url)[0] == small == MANAGER_PAGES[url_name]


def test_a_decision_is_made_once_for_a_loaded_person(org, monkeypatch):
    calls = []
    real = access.can
    monkeypatch.setattr(access, "can", lambda *args: calls.append(args) or real(*args))
    report = Employee.objects.get(pk=org.report.pk)

    first = access.decision(org.manager.user, report)
    again = access.decision(org.manager.user, report)
    hr = access.decision(org.hr, report)

    assert first == again == {access.VIEW, access.MANAGE}
    assert hr == {access.VIEW, access.MANAGE}
    assert len(calls) == 4  # VIEW and MANAGE for the manager, then for HR


def personas(org):
    users = [org.boss.user, org.manager.user, org.report.user, org.teammate.user]
    return [*users, org.other_manager.user, org.stranger.user, org.hr, org.outsider]


def test_narrowing_by_one_person_agrees_with_narrowing_by_the_tree(org):
    """`restrict(..., person=p)` gives the rows `restrict` gives, for every persona and
    person, every kind of row and action."""
    grow(org, people=5)
    private = record(org, org.teammate, days_ago=3)
    private.visibility = Evidence.Visibility.PRIVATE
    private.save(update_fields=["visibility"])
    Review.objects.create(
        employee=org.teammate,
        target_level=org.teammate.level,
        target_level_name=org.teammate.level.name,
        author=org.boss.user,
        status=Review.Status.DRAFT,
    )
    cases = {
        Evidence: [access.VIEW, access.CHANGE, access.DECIDE],
        Review: [access.VIEW, access.CHANGE, access.ACKNOWLEDGE],
        Nomination: [access.VIEW, access.CHANGE, access.DECIDE],
    }
    people = [org.boss, org.manager, org.report, org.teammate, org.stranger]
    for user in personas(org):
        for person in people:
            person = Employee.objects.get(pk=person.pk)
            for model, actions in cases.items():
                rows = model.objects.filter(employee=person)
                for action in actions:
                    by_tree = set(access.restrict(rows, user, action))
                    by_person = set(access.restrict(rows, user, action, person=person))
                    assert by_person == by_tree, (user, person, model.__name__, action)


def test_the_lists_of_a_person_agree_with_the_rules(org):
    record(org, org.report, days_ago=3)
    for user in personas(org):
        report = Employee.objects.get(pk=org.report.pk)
        listed = set(evidence_services.evidence_for(user, report))
        assert listed == set(access.restrict(Evidence.objects.filter(employee=report), user))
        reviews = set(review_services.reviews_for(user, report))
        assert reviews == set(access.restrict(Review.objects.filter(employee=report), user))


# Readiness for several levels in one query ---------------------------------------------------


@pytest.fixture
def measured_org(org):
    """The report with counted evidence on their level and the next, criteria tagged,
    ratings in shared reviews of both (and a newer draft that must not count), and evidence
    that never counts (private, a growth note, a pending win)."""
    ladder = org.ladder
    pm, senior = ladder.levels.get(key="pm"), ladder.levels.get(key="senior-pm")
    criteria = list(ladder.promotion_criteria.all())
    for level, days in ((pm, [400, 200, 30, 30]), (senior, [120, 5])):
        expectations = list(level.expectations.active())
        for n, day in enumerate(days):
            item = record(org, org.report, days_ago=day, expectation=expectations[n % 3])
            item.criteria.set(criteria[: n % 3])
    hidden = record(org, org.report, days_ago=8, expectation=senior.expectations.first())
    hidden.visibility = Evidence.Visibility.PRIVATE
    hidden.save(update_fields=["visibility"])
    growth = record(org, org.report, days_ago=9, expectation=senior.expectations.first())
    growth.kind = Evidence.Kind.GROWTH
    growth.save(update_fields=["kind"])
    for level, status in ((pm, Review.Status.SHARED), (senior, Review.Status.ACKNOWLEDGED)):
        review = Review.objects.create(
            employee=org.report,
            target_level=level,
            target_level_name=level.name,
            author=org.manager.user,
            status=status,
        )
        for n, expectation in enumerate(level.expectations.active()):
            review.ratings.create(
                expectation=expectation,
                expectation_text=expectation.text,
                category_name=expectation.category.name,
                position=n,
                rating=[Rating.MEETS, Rating.NOT_YET, Rating.EXCEEDS, ""][n % 4],
            )
    draft = Review.objects.create(
        employee=org.report,
        target_level=senior,
        target_level_name=senior.name,
        author=org.manager.user,
        status=Review.Status.DRAFT,
    )
    for expectation in senior.expectations.active():
        draft.ratings.create(
            expectation=expectation,
            expectation_text=expectation.text,
            category_name=expectation.category.name,
            position=expectation.position,
            rating=Rating.EXCEEDS,
        )
    return org


def as_data(result):
    return {
        "level": result.level.pk,
        "items": [
            (i.expectation.pk, i.count, i.latest, i.rating, i.rating_label, i.covered)
            for i in result.items
        ],
        "first": result.first,
        "last": result.last,
        "dates": result.dates,
        "criteria": [(s.criterion.pk, s.count, s.latest) for s in result.criteria],
        "badge": result.badge,
        "percent": result.percent,
        "rule": result.rule,
    }


def test_readiness_for_every_level_in_one_query_matches_one_level_at_a_time(
    measured_org, django_assert_num_queries
):
    org = measured_org
    report = Employee.objects.select_related("ladder").get(pk=org.report.pk)
    levels = list(org.ladder.levels.filter(key__in=["pm", "senior-pm", "staff-pm"]))
    targets = [(level, readiness.expectations_of(level)) for level in levels]
    criteria = list(org.ladder.promotion_criteria.all())

    with django_assert_num_queries(1):
        together = readiness.readiness_for(employee=report, targets=targets, criteria=criteria)
    one_by_one = [readiness.readiness(employee=report, level=level) for level in levels]

    assert [as_data(r) for r in together] == [as_data(r) for r in one_by_one]
    # The figures say something: evidence, ratings and criteria were all counted.
    pm = as_data(together[0])
    assert pm["first"] is not None
    assert pm["criteria"][1][1] > 0
    assert any(item[3] == Rating.MEETS for item in pm["items"])


def test_readiness_for_no_level_asks_nothing(org, django_assert_num_queries):
    report = Employee.objects.select_related("ladder").get(pk=org.report.pk)
    with django_assert_num_queries(0):
        assert readiness.readiness_for(employee=report, targets=[], criteria=[]) == []


def test_the_person_page_shows_the_figures_readiness_gives(measured_org, as_user):
    org = measured_org
    response = as_user(org.manager.user).get(reverse("assessments:person", args=[org.report.pk]))

    report = Employee.objects.select_related("ladder").get(pk=org.report.pk)
    shown = response.context["readiness"]
    step = response.context["placement"].next_steps[0]
    assert as_data(shown) == as_data(readiness.readiness(employee=report, level=report.level))
    assert as_data(step.readiness) == as_data(
        readiness.readiness(employee=report, level=step.level)
    )


@pytest.mark.parametrize("who", ["report", "manager"])
def test_a_person_page_lists_the_latest_evidence_and_offers_the_rest(
    org, as_user, who, monkeypatch
):
    """Years of evidence would make every visit slow: the page lists the newest
    EVIDENCE_SHOWN (here 3, newest first) with a link to all of them, in the same queries."""
    monkeypatch.setattr("assessments.views.EVIDENCE_SHOWN", 3)
    for days in (2, 3, 4, 5):  # with the fixture's, five pieces, newest 1 day ago
        record(org, org.report, days_ago=days)
    client = as_user(getattr(org, who).user)
    url = (
        reverse("assessments:me")
        if who == "report"
        else reverse("assessments:person", args=[org.report.pk])
    )

    client.get(url)  # the ladder's structure cached
    first, _ = count(client, url)
    every, _ = count(client, url + "?evidence=all")

    assert first == every
    page = client.get(url).content.decode()
    assert [f"Evidence from {days} days ago" in page for days in (1, 2, 3, 4, 5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert 'href="?evidence=all#evidence-heading"' in page
    everything = client.get(url + "?evidence=all").content.decode()
    assert all(f"Evidence from {days} days ago" in everything for days in (1, 2, 3, 4, 5))
    assert "?evidence=all" not in everything


def test_a_person_page_with_little_evidence_offers_no_link_to_more(org, as_user):
    page = as_user(org.manager.user).get(reverse("assessments:person", args=[org.report.pk]))

    assert "Evidence from 1 days ago" in page.content.decode()
    assert "?evidence=all" not in page.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_wins_waiting_for_a_manager_of_many_are_read_newest_first_from_their_index(org):
    """A manager high in the tree reads the newest wins of their people from the index of
    wins waiting, not by sorting everyone's evidence (here the planner may not read whole
    tables: on a test's few rows it would)."""
    for days in range(3):
        win = record(org, org.report, days_ago=days)
        Evidence.objects.filter(pk=win.pk).update(
            status=Evidence.Status.PENDING, source=Evidence.Source.SELF
        )
    queryset = evidence_services.pending_wins_for_manager(org.boss)[:50]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        shown_plan = queryset.explain()

    assert "evidence_pending_recent" in shown_plan
    assert len(queryset) == 3
    # And the plan a connection keeps once it has run the statement often, made for any
    # value of its parameters: the status is in the SQL, so it can still use the index.
    kept = kept_plan(queryset, off=("seqscan", "bitmapscan", "sort"))
    assert "evidence_pending_recent" in kept, kept

"""Each person's path in the reporting tree (`Employee.path`) is right however the tree
changes: people placed, managers changed (moving whole subtrees), people files imported,
the migration that fills it. "Right" is what a recursive walk of the manager links says,
which only this file still does. The tree reads built on the path cost the same queries
however big the organisation is, and use the path's index."""

import importlib
import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import access, peoplefile, selectors, services
from assessments.models import Employee, Evidence

from ..factories import fill_paths
from ..plans import kept_plan
from .test_import_people import csv_of, person

pytestmark = pytest.mark.django_db

_TABLE = Employee._meta.db_table

# Every person's path, walked down from the tops of the trees by the manager links.
_WALK_SQL = f"""
    WITH RECURSIVE walk(id, path) AS (
        SELECT id, CAST(id AS TEXT) || '/' FROM {_TABLE} WHERE manager_id IS NULL
        UNION ALL
        SELECT e.id, w.path || CAST(e.id AS TEXT) || '/'
        FROM {_TABLE} e JOIN walk w ON e.manager_id = w.id
    )
    SELECT id, path FROM walk
"""


def walked_paths():
    with connection.cursor() as cursor:
        cursor.execute(_WALK_SQL)
        return dict(cursor.fetchall())


def assert_paths_right():
    stored = dict(Employee.objects.values_list("pk", "path"))
    walked = walked_paths()
    assert stored.keys() == walked.keys(), "everyone is in a tree"
    wrong = {pk: (stored[pk], walked[pk]) for pk in stored if stored[pk] != walked[pk]}
    assert not wrong, f"paths stored, walked: {wrong}"


def new_person(ladder, n, manager=None):
    """Someone placed through the service, without a sign-in (cheaper than `place`)."""
    return services.place_employee(
        full_name=f"Person {n:03}",
        email=f"person{n}@example.com",
        ladder=ladder,
        track=ladder.tracks.get(key="ic"),
        level=ladder.levels.get(key="pm"),
        effective_on=timezone.localdate(),
        manager=manager,
    )


# Consistency ----------------------------------------------------------------------------


def test_paths_follow_a_random_tree_through_moves_and_imports(org):
    rng = random.Random(12)
    people = [org.boss, org.manager, org.report, org.teammate, org.other_manager, org.stranger]
    for n in range(40):
        people.append(new_person(org.ladder, n, manager=rng.choice([None, *people])))
    assert_paths_right()

    moved = refused = 0
    for _ in range(60):
        employee, manager = rng.choice(people), rng.choice([None, *people])
        try:
            services.set_manager(employee=employee, manager=manager)
        except ValidationError:
            refused += 1  # a loop, or their own manager: nothing written
        else:
            moved += 1
        assert_paths_right()
    assert moved > 20
    assert refused > 0

    # A file that moves people who have people below them, to the top and under others,
    # and adds new people below new and existing people.
    existing = rng.sample(people, 8)
    rows = [
        person(
            e.email,
            e.full_name,
            track=e.track.key,
            level=e.level.key,
            manager="" if i % 3 == 0 else org.stranger.email,
        )
        for i, e in enumerate(existing)
        if e != org.stranger
    ]
    rows += [person("newtop@example.com", "New Top", track="management", level="director")]
    rows += [
        person(f"new{i}@example.com", f"New {i}", manager=manager)
        for i, manager in enumerate(["newtop@example.com", org.report.email, "new0@example.com"])
    ]
    peoplefile.import_people(content=csv_of(rows))
    assert_paths_right()


def test_moving_a_manager_moves_everyone_below_in_one_update(org, django_assert_num_queries):
    below_report = [new_person(org.ladder, n, manager=org.report) for n in range(3)]
    new_person(org.ladder, 99, manager=below_report[0])

    with CaptureQueriesContext(connection) as queries:
        services.set_manager(employee=org.manager, manager=org.other_manager)

    writes = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 2  # the manager link, then every path below in one statement
    assert org.manager.path == f"{org.boss.pk}/{org.other_manager.pk}/{org.manager.pk}/"
    assert_paths_right()
    org.report.refresh_from_db()
    assert org.report.is_below(org.other_manager)
    assert not org.report.is_below(org.stranger)


def test_moving_to_the_top_and_back(org):
    services.set_manager(employee=org.manager, manager=None)
    assert org.manager.path == f"{org.manager.pk}/"
    assert_paths_right()

    services.set_manager(employee=org.manager, manager=org.boss)
    assert_paths_right()


def test_a_refused_move_leaves_every_path(org):
    before = dict(Employee.objects.values_list("pk", "path"))

    with pytest.raises(ValidationError, match="would make a loop"):
        services.set_manager(employee=org.boss, manager=org.report)

    assert dict(Employee.objects.values_list("pk", "path")) == before


def test_the_loop_check_reads_the_paths_as_they_are_now(org):
    """A stale copy of a person (loaded before someone moved them) cannot let a loop in."""
    stale_manager = Employee.objects.get(pk=org.manager.pk)
    services.set_manager(employee=org.stranger, manager=org.teammate)

    with pytest.raises(ValidationError, match="would make a loop"):
        services.set_manager(employee=stale_manager, manager=org.stranger)


def test_the_migration_fills_every_path(org):
    for n in range(5):
        new_person(org.ladder, n, manager=org.teammate if n % 2 else org.stranger)
    Employee.objects.update(path="")
    fill_as_the_migration_does()

    assert_paths_right()


def fill_as_the_migration_does():
    """Run the migration's fill on the tables as they are."""
    from django.apps import apps

    migration = importlib.import_module("assessments.migrations.0011_employee_path")

    class SchemaEditor:
        connection = connection

    migration.fill_paths(apps, SchemaEditor())


def test_the_migration_cuts_a_loop_rather_than_hang(org):
    Employee.objects.filter(pk=org.boss.pk).update(manager=org.report)
    Employee.objects.update(path="")
    fill_as_the_migration_does()

    paths = dict(Employee.objects.values_list("pk", "path"))
    assert all(paths.values())
    # The loop is cut at one of its people: the rest hang below them.
    tops = [pk for pk, path in paths.items() if path == f"{pk}/"]
    assert len(tops) == 1
    assert tops[0] in {org.boss.pk, org.manager.pk, org.report.pk}


# The lookup and its index ---------------------------------------------------------------


def test_a_prefix_matches_whole_ids_only(org):
    Employee.objects.filter(pk=org.boss.pk).update(path="7/")
    Employee.objects.filter(pk=org.manager.pk).update(path="7/5/")
    Employee.objects.filter(pk=org.report.pk).update(path="7/5/9/")
    Employee.objects.filter(pk=org.teammate.pk).update(path="7/50/")
    Employee.objects.filter(pk=org.other_manager.pk).update(path="7/5")
    Employee.objects.filter(pk=org.stranger.pk).update(path="75/")

    within = set(Employee.objects.filter(path__within="7/5/"))

    assert within == {org.manager, org.report}


@pytest.mark.parametrize("bad", ["", "5", "/5/", "5//", "a/", "5/%", 5])
def test_only_a_path_is_a_prefix(org, bad):
    with pytest.raises(ValueError, match="Not a path"):
        list(Employee.objects.filter(path__within=bad))


def test_everyone_below_is_an_index_range_scan(org):
    queryset = selectors.below(org.boss)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a table this small is read whole otherwise
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = queryset.explain()
    else:
        plan = queryset.explain()
    assert "employee_path" in plan, plan


def test_the_plan_kept_for_everyone_below_someone_still_reads_the_index(org):
    """A connection keeps one plan for a statement it runs often, made for any value of
    its parameters: the subtree's bounds are in the SQL, so that plan is made for them."""
    plan = kept_plan(selectors.below(org.boss))

    assert "employee_path" in plan, plan
    assert f"'{org.boss.path}'" in plan, plan


# Reads ----------------------------------------------------------------------------------


def test_is_below_costs_no_query_once_both_are_loaded(org, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert org.report.is_below(org.boss)
        assert org.report.is_below(org.manager)
        assert not org.report.is_below(org.other_manager)
        assert not org.boss.is_below(org.report)
        assert not org.report.is_below(org.report)


def test_someone_outside_the_tree_is_below_nobody_and_above_nobody(org):
    loose = Employee.objects.create(  # past the services: no path
        full_name="Loose",
        email="loose@example.com",
        ladder=org.ladder,
        track=org.report.track,
        level=org.report.level,
    )

    assert not loose.is_below(org.boss)
    assert not org.report.is_below(loose)
    assert list(selectors.below(loose)) == []
    assert selectors.manager_chain(loose) == []
    services.set_manager(employee=loose, manager=org.manager)  # placed: now in the tree
    assert loose.is_below(org.boss)
    assert_paths_right()


def test_manager_chain_is_one_query_nearest_first(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        chain = selectors.manager_chain(org.report)
    assert chain == [org.manager, org.boss]
    with django_assert_num_queries(0):
        assert selectors.manager_chain(org.boss) == []


def test_wins_waiting_come_from_everyone_below_and_nobody_else(org):
    from ..factories import ExpectationFactory

    expectation = ExpectationFactory(level=org.report.level)

    def win(employee):
        return Evidence.objects.create(
            employee=employee,
            expectation=expectation,
            level=employee.level,
            expectation_text=expectation.text,
            category_name="Category",
            level_name=employee.level.name,
            author=employee.user,
            source=Evidence.Source.SELF,
            status=Evidence.Status.PENDING,
            observed_on=timezone.localdate(),
            description="A win",
        )

    wins = {employee: win(employee) for employee in (org.report, org.manager, org.stranger)}

    from assessments.evidence import pending_wins_for_manager

    assert set(pending_wins_for_manager(org.boss)) == set(wins.values())
    assert set(pending_wins_for_manager(org.manager)) == {wins[org.report]}
    assert list(pending_wins_for_manager(org.report)) == []


# Query counts ---------------------------------------------------------------------------


def _queries(client, url):
    client.get(url)  # the first visit caches the ladder's structure (levels.structure)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(org, count, *, under):
    """`count` more people, bulk-created under `under` and each tenth of them, so the tree
    gets wider and deeper."""
    people = Employee.objects.bulk_create(
        Employee(
            full_name=f"Grown {i:04}",
            email=f"grown{under.pk}-{i}@example.com",
            ladder=org.ladder,
            track=org.report.track,
            level=org.report.level,
            manager=under,
        )
        for i in range(count)
    )
    for i, employee in enumerate(people):
        if i % 10 and i > 10:
            employee.manager = people[i // 10]
    Employee.objects.bulk_update(people, ["manager"])
    fill_paths()
    return people


def test_everyone_below_the_top_costs_the_same_queries_at_any_size(org, as_user):
    client = as_user(org.boss.user)
    url = reverse("assessments:team") + "?scope=all"

    small = _queries(client, url)
    _grow(org, 300, under=org.report)
    large = _queries(client, url)
    page = client.get(url)

    assert small == large
    assert page.context["page"].paginator.count == 305
    assert len(page.context["page"]) == 25


def test_the_person_page_costs_the_same_queries_however_deep_they_are(org, as_user):
    client = as_user(org.boss.user)
    shallow = _queries(client, reverse("assessments:person", args=[org.report.pk]))
    leaf = _grow(org, 300, under=org.report)[-1]
    leaf.refresh_from_db()
    assert len(selectors.manager_chain(leaf)) >= 5

    deep = _queries(client, reverse("assessments:person", args=[leaf.pk]))

    assert deep == shallow
    assert access.can(org.boss.user, access.MANAGE, leaf)
    assert not access.can(org.other_manager.user, access.VIEW, leaf)

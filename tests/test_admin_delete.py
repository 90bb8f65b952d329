"""Delete confirmation pages in the admin (`pmladder.admindelete`): what a delete takes with
it, or what stops it, is told as a count per kind and the first few of each kind, in a
number of queries that does not grow with those rows; the delete itself still works."""

import datetime
import re
from collections import Counter

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.urls import reverse
from django.utils import timezone

from assessments.models import Evidence
from levels.models import Aspect, Expectation, Ladder, Level
from pmladder import admindelete

from .factories import UserFactory, build_ladder, make_hr_user

pytestmark = pytest.mark.django_db

SHOWN = admindelete.SHOWN
LADDER_CHANGELIST = reverse("admin:levels_ladder_changelist")
LEVEL_CHANGELIST = reverse("admin:levels_level_changelist")


def counted(client, url, data=None):
    """(queries, page) of a GET, or of a POST with `data`."""
    with CaptureQueriesContext(connection) as queries:
        page = client.post(url, data) if data is not None else client.get(url)
    assert page.status_code == 200, page.status_code
    return len(queries), page.content.decode()


def add_expectations(ladder, count):
    level, category = ladder.levels.first(), ladder.categories.first()
    Expectation.objects.bulk_create(
        Expectation(level=level, category=category, text=f"More {n}", position=100 + n)
        for n in range(count)
    )


def add_evidence(person, count):
    expectation = person.level.expectations.select_related("category").first()
    Evidence.objects.bulk_create(
        Evidence(
            employee=person,
            expectation=expectation,
            level=person.level,
            expectation_text=expectation.text,
            category_name=expectation.category.name,
            level_name=person.level.name,
            source=Evidence.Source.MANAGER,
            observed_on=timezone.localdate() - datetime.timedelta(days=n),
            description="Ran the weekly planning.",
        )
        for n in range(count)
    )


def links_to(page, model):
    """Links to change pages of `model` objects on `page`."""
    opts = model._meta
    return len(re.findall(rf'href="/admin/{opts.app_label}/{opts.model_name}/\d+/change/"', page))


def small_ladder():
    return build_ladder(levels=2, categories=1, expectations_per_category=1, tracks=1, aspects=1)


@pytest.fixture
def hr_client(client):
    client.force_login(make_hr_user())
    return client


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_admin_of_the_site_has_the_bounded_pages():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, admindelete.BoundedDeletes), model


def test_an_unused_ladder_costs_the_same_queries_with_many_more_expectations(hr_client):
    ladder = small_ladder()
    url = reverse("admin:levels_ladder_delete", args=[ladder.pk])

    few, _ = counted(hr_client, url)
    add_expectations(ladder, SHOWN * 3)
    many, page = counted(hr_client, url)

    assert many == few
    total = Expectation.objects.filter(level__ladder=ladder).count()
    assert total > SHOWN
    assert f"{total} expectations" in page
    assert f"…and {total - SHOWN} more expectations." in page
    assert f"<li>Expectations: {total}</li>" in page  # the summary
    assert links_to(page, Expectation) == SHOWN
    first = Expectation.objects.filter(level__ladder=ladder).order_by("pk")
    assert f"/admin/levels/expectation/{first[0].pk}/change/" in page
    assert f"/admin/levels/expectation/{first[SHOWN].pk}/change/" not in page
    assert 'name="post" value="yes"' in page  # the confirmation button


def test_confirming_deletes_the_ladder_and_everything_it_holds(hr_client):
    ladder = small_ladder()
    add_expectations(ladder, SHOWN * 2)

    response = hr_client.post(
        reverse("admin:levels_ladder_delete", args=[ladder.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Ladder.objects.filter(pk=ladder.pk).exists()
    assert not Expectation.objects.filter(level__ladder_id=ladder.pk).exists()
    assert not Level.objects.filter(ladder_id=ladder.pk).exists()


def test_a_level_in_use_lists_the_first_of_what_points_at_it_and_counts_the_rest(org, hr_client):
    level = org.report.level
    url = reverse("admin:levels_level_delete", args=[level.pk])
    add_evidence(org.report, 2)
    few, _ = counted(hr_client, url)
    add_evidence(org.report, SHOWN * 2)

    many, page = counted(hr_client, url)
    hr_client.post(url, {"post": "yes"})

    assert many == few
    evidence = Evidence.objects.filter(level=level).count()
    assert f"The level “{level.name}” is in use, so it cannot be deleted" in page
    assert 'value="Retire this level"' in page  # the way out stays
    assert f"{evidence} evidence" in page
    assert f"…and {evidence - SHOWN} more evidence." in page
    assert links_to(page, Evidence) == SHOWN
    assert org.report.full_name in page  # the person on the level, a blocker too
    assert 'name="post" value="yes"' not in page
    assert Level.objects.filter(pk=level.pk).exists()


def test_a_ladder_in_use_costs_a_query_a_foreign_key_and_one_a_kind(org, hr_client):
    add_evidence(org.report, SHOWN * 2)
    cascade, links, blockers = admindelete.delete_plan(Ladder)
    kinds = len(cascade) - 1 + len(blockers)
    keys = sum(len(links[kind]) for kind in cascade[1:]) + sum(map(len, blockers.values()))

    # The session, the user, the HR check, the ladder, the permission checks and the
    # page's chrome: 10 at most; then the keys each foreign key reaches, and each kind's
    # objects shown.
    with CaptureQueriesContext(connection) as queries:
        page = hr_client.get(reverse("admin:levels_ladder_delete", args=[org.ladder.pk]))

    assert len(queries) <= 10 + keys + kinds
    assert "A ladder that people are on stays." in page.content.decode()


def test_the_delete_selected_action_costs_the_same_and_deletes(hr_client):
    ladders = [small_ladder(), small_ladder()]
    data = {"action": "delete_selected", "_selected_action": [ladder.pk for ladder in ladders]}

    few, _ = counted(hr_client, LADDER_CHANGELIST, data)
    add_expectations(ladders[0], SHOWN * 2)
    total = Expectation.objects.filter(level__ladder__in=ladders).count()
    many, page = counted(hr_client, LADDER_CHANGELIST, data)
    deleted = hr_client.post(LADDER_CHANGELIST, {**data, "post": "yes"})

    assert many == few
    assert "2 ladders" in page
    assert f"…and {total - SHOWN} more expectations." in page
    assert f"<li>Expectations: {total}</li>" in page
    assert deleted.status_code == 302
    assert not Ladder.objects.filter(pk__in=[ladder.pk for ladder in ladders]).exists()


def test_the_delete_selected_action_on_a_level_in_use_is_refused_with_what_stops_it(org, hr_client):
    level = org.report.level
    data = {"action": "delete_selected", "_selected_action": [level.pk]}
    add_evidence(org.report, 1)
    few, _ = counted(hr_client, LEVEL_CHANGELIST, data)
    add_evidence(org.report, SHOWN * 2)

    many, page = counted(hr_client, LEVEL_CHANGELIST, data)
    hr_client.post(LEVEL_CHANGELIST, {**data, "post": "yes"})

    assert many == few
    evidence = Evidence.objects.filter(level=level).count()
    assert "Some of these are in use, so they cannot be deleted" in page
    assert f"…and {evidence - SHOWN} more evidence." in page
    assert Level.objects.filter(pk=level.pk).exists()


def test_a_user_page_counts_their_log_entries(superuser_client):
    person = UserFactory()
    person.groups.add(Group.objects.create(name="Readers"))
    url = reverse("admin:auth_user_delete", args=[person.pk])

    def log(count):
        LogEntry.objects.bulk_create(
            LogEntry(user=person, object_repr=f"thing {n}", action_flag=ADDITION)
            for n in range(count)
        )

    log(1)
    few, _ = counted(superuser_client, url)
    log(SHOWN * 2)
    many, page = counted(superuser_client, url)
    superuser_client.post(url, {"post": "yes"})

    assert many == few
    entries = SHOWN * 2 + 1
    assert f"{entries} log entries" in page
    assert f"…and {entries - SHOWN} more log entries." in page
    assert not get_user_model().objects.filter(pk=person.pk).exists()
    assert not LogEntry.objects.filter(user_id=person.pk).exists()


def test_a_group_page_counts_its_members(superuser_client):
    group = Group.objects.create(name="Readers")
    url = reverse("admin:auth_group_delete", args=[group.pk])
    group.user_set.add(UserFactory())
    few, _ = counted(superuser_client, url)
    group.user_set.add(*[UserFactory() for _ in range(SHOWN * 2)])

    many, page = counted(superuser_client, url)
    superuser_client.post(url, {"post": "yes"})

    assert many == few
    membership = get_user_model().groups.through._meta
    members = SHOWN * 2 + 1
    assert f"{members} {membership.verbose_name_plural}" in page
    assert f"…and {members - SHOWN} more {membership.verbose_name_plural}." in page
    assert not Group.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize("role", ["hr", "superuser"])
def test_people_are_still_never_deleted(org, client, role):
    user = make_hr_user() if role == "hr" else UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)

    page = client.get(reverse("admin:assessments_employee_delete", args=[org.report.pk]))

    assert page.status_code == 403


def test_the_counts_and_first_objects_are_the_ones_djangos_own_collector_finds(org):
    add_evidence(org.report, SHOWN + 5)
    hr_group = Group.objects.get(name="HR")
    for obj in [
        org.ladder,
        org.report.level,
        org.report.track,
        Aspect.objects.filter(ladder=org.ladder).first(),
        org.report.level.expectations.first(),
        small_ladder(),
        org.report.user,
        hr_group,
    ]:
        collector = NestedObjects(using="default")
        collector.collect([obj])

        taken, stopping = admindelete.reach([obj])

        assert {kind.model: kind.count for kind in taken} == {
            model: len(found) for model, found in collector.model_objs.items()
        }, obj
        assert {kind.model: kind.count for kind in stopping} == Counter(
            type(found) for found in collector.protected
        ), obj
        for kind in [*taken, *stopping]:  # the first of each kind, by key
            pks = sorted(
                found.pk
                for found in [*collector.model_objs[kind.model], *collector.protected]
                if type(found) is kind.model
            )
            assert [found.pk for found in kind.first] == pks[:SHOWN], kind.model


def test_past_the_counted_limit_the_page_says_more_than_it(org, hr_client, monkeypatch):
    monkeypatch.setattr(admindelete, "COUNTED", SHOWN + 5)
    add_evidence(org.report, SHOWN + 10)

    page = hr_client.get(reverse("admin:levels_level_delete", args=[org.report.level.pk]))

    content = page.content.decode()
    assert f"More than {SHOWN + 5} evidence" in content
    assert f"…and more: more than {SHOWN + 5} evidence in all." in content
    assert links_to(content, Evidence) == SHOWN


@isolate_apps("tests")
def test_a_kind_that_cascades_to_itself_is_left_to_django():
    class Node(models.Model):
        parent = models.ForeignKey("self", models.CASCADE, null=True)

        class Meta:
            app_label = "tests"

        def __str__(self):
            return f"node {self.pk}"

    assert admindelete.delete_plan(Node) is None
    assert admindelete.delete_plan(Aspect) is not None

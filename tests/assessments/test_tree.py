"""The reporting tree: subtrees, manager chains, and no loops."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments import selectors, services
from assessments.models import Employee

from ..conftest import place

pytestmark = pytest.mark.django_db


def test_below_and_chain(org):
    assert set(selectors.below(org.boss)) == {
        org.manager, org.report, org.teammate, org.other_manager, org.stranger,
    }  # fmt: skip
    assert set(selectors.below(org.manager)) == {org.report, org.teammate}
    assert list(selectors.below(org.report)) == []
    assert selectors.manager_chain(org.report) == [org.manager, org.boss]
    assert selectors.manager_chain(org.boss) == []


def test_deep_tree_in_one_query_each(org, django_assert_num_queries):
    top = org.report
    for depth in range(40):
        top = place(org.ladder, f"deep{depth}", f"Deep {depth}", "apm", manager=top)

    with django_assert_num_queries(1):
        assert len(list(selectors.below(org.boss))) == 45
    with django_assert_num_queries(1):
        chain = selectors.manager_chain(top)
    assert len(chain) == 42
    assert chain[-1] == org.boss


def test_own_manager_is_refused(org):
    with pytest.raises(ValidationError, match="their own manager"):
        services.set_manager(employee=org.report, manager=org.report)


def test_direct_cycle_is_refused(org):
    with pytest.raises(ValidationError, match="would make a loop"):
        services.set_manager(employee=org.manager, manager=org.report)

    org.manager.refresh_from_db()
    assert org.manager.manager == org.boss


def test_indirect_cycle_is_refused(org):
    with pytest.raises(ValidationError, match="would make a loop"):
        services.set_manager(employee=org.boss, manager=org.stranger)


def test_moving_someone_to_another_branch_is_fine(org):
    services.set_manager(employee=org.report, manager=org.other_manager)

    assert set(selectors.below(org.other_manager)) == {org.report, org.stranger}


def test_the_database_refuses_self_management(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Employee.objects.filter(pk=org.report.pk).update(manager=org.report)


def test_email_is_unique_whatever_its_case(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Employee.objects.create(
            full_name="Copy",
            email="REPORT@example.com",
            ladder=org.ladder,
            track=org.report.track,
            level=org.report.level,
        )


def test_a_loop_in_damaged_data_cannot_hang_the_tree_queries(org):
    # Bypass the services to build a loop, as a bad manual edit could: the tree is read
    # from the paths, which no walk follows, so the reads end and show the tree as the
    # services last kept it.
    Employee.objects.filter(pk=org.boss.pk).update(manager=org.report)
    for person in (org.boss, org.report):
        person.refresh_from_db()

    assert list(selectors.below(org.report)) == []
    assert selectors.manager_chain(org.report) == [org.manager, org.boss]

"""The organisation generator of the bench and the load test (`scripts/orggen.py`)."""

import pytest

from assessments import access
from assessments.models import Employee, Evidence, LevelAssignment, Review, tree_paths
from scripts import orggen

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("people", "layers"), [(1_000, 6), (10_000, 7), (100_000, 7)])
def test_the_tree_is_about_seven_layers_deep(people, layers):
    shape = orggen._tree_shape(people)

    assert sum(shape) == people
    assert len(shape) == layers


def test_an_organisation_with_sign_ins_for_everyone():
    org = orggen.build_org(
        60, evidence_per_person=2, reviews_per_manager=1, password="a-long-bench-password"
    )

    people = Employee.objects.all()
    assert people.count() == org.people == 60
    assert dict(people.values_list("pk", "path")) == tree_paths(
        dict(people.values_list("pk", "manager_id"))
    )
    assert org.top.manager_id is None
    assert org.director.manager_id == org.top.pk
    assert org.manager.is_below(org.director)
    assert org.leaf.manager_id == org.manager.pk
    assert not Employee.objects.filter(manager=org.leaf).exists()
    assert not people.filter(user__isnull=True).exists()
    assert org.leaf.user.check_password("a-long-bench-password")
    assert access.is_hr(org.hr_user)
    assert org.hr_user.check_password("a-long-bench-password")
    assert LevelAssignment.objects.count() == 60
    assert Evidence.objects.count() == 59 * 2
    assert Evidence.objects.filter(status=Evidence.Status.PENDING).count() == 3  # 1 in 50


def test_every_manager_shares_reviews_of_their_first_reports():
    org = orggen.build_org(60, evidence_per_person=0, reviews_per_manager=2)

    managers = Employee.objects.filter(reports__isnull=False).distinct()
    expected = sum(min(2, manager.reports.count()) for manager in managers)
    assert Review.objects.filter(status=Review.Status.SHARED).count() == expected
    review = Review.objects.filter(employee=org.leaf).get()
    assert review.author == org.manager.user
    assert review.ratings.count() == review.target_level.expectations.count() > 0
    assert Evidence.objects.count() == 0


def test_without_a_password_only_the_sample_signs_in_and_not_by_password():
    org = orggen.build_org(300, evidence_per_person=0, reviews_per_manager=0)

    signing_in = [employee for _, employee in org.user_employees]
    assert 200 <= len(signing_in) < 210  # 200 spread out, and the named people
    assert Employee.objects.filter(user__isnull=False).count() == len(signing_in)
    assert any(e.reports.exists() for e in signing_in)
    assert not all(e.reports.exists() for e in signing_in)
    assert {org.top, org.director, org.manager, org.leaf} <= set(signing_in)
    assert all(username == e.user.username for username, e in org.user_employees)
    assert not org.leaf.user.has_usable_password()


def test_built_with_bulk_writes(django_assert_max_num_queries):
    with django_assert_max_num_queries(80):
        orggen.build_org(500, evidence_per_person=3, reviews_per_manager=2, password="pw-12345678")

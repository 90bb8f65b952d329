"""The people admin keeps history: nobody is deleted, managers are only picked."""

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.evidence import record_evidence
from assessments.models import Employee, Evidence
from assessments.reviews import start_review

from ..conftest import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_client(org, client):
    org.hr.is_staff = True
    org.hr.save()
    client.force_login(org.hr)
    return client


def test_people_cannot_be_deleted_from_the_admin(org, hr_client):
    delete = hr_client.get(reverse("admin:assessments_employee_delete", args=[org.teammate.pk]))
    changelist = hr_client.get(reverse("admin:assessments_employee_changelist"))

    assert delete.status_code == 403
    assert b"delete_selected" not in changelist.content
    assert Employee.objects.filter(pk=org.teammate.pk).exists()


def test_the_manager_field_cannot_edit_or_delete_the_manager(org, hr_client):
    response = hr_client.get(reverse("admin:assessments_employee_change", args=[org.report.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="delete_id_manager"' not in content
    assert 'id="change_id_manager"' not in content
    assert 'id="add_id_manager"' not in content


def test_hr_reads_evidence_and_reviews_in_the_admin_without_editing(org, hr_client):
    import datetime

    from django.utils import timezone

    from assessments import evidence
    from levels.models import Expectation

    item = evidence.record_evidence(
        employee=org.report,
        expectation=Expectation.objects.filter(level=org.report.level).first(),
        by=org.manager.user,
        observed_on=timezone.localdate() - datetime.timedelta(days=1),
        description="Readable in the admin",
        visibility="private",
    )

    changelist = hr_client.get(reverse("admin:assessments_evidence_changelist"))
    detail = hr_client.get(reverse("admin:assessments_evidence_change", args=[item.pk]))
    edit = hr_client.post(
        reverse("admin:assessments_evidence_change", args=[item.pk]), {"description": "x"}
    )
    reviews = hr_client.get(reverse("admin:assessments_review_changelist"))

    assert changelist.status_code == 200
    assert b"Readable in the admin" in detail.content
    assert edit.status_code == 403
    assert reviews.status_code == 200
    item.refresh_from_db()
    assert item.description == "Readable in the admin"


@pytest.mark.parametrize("model", ["employee", "levelassignment", "evidence", "review"])
def test_people_changelists_cost_the_same_however_many_rows(
    org, hr_client, django_assert_max_num_queries, model
):
    url = reverse(f"admin:assessments_{model}_changelist")
    with django_assert_max_num_queries(15):
        assert hr_client.get(url).status_code == 200
    expectation = org.report.level.expectations.first()
    for index in range(15):
        person = place(
            org.ladder, f"grown{index}", f"Grown Person{index}", "pm", manager=org.manager
        )
        record_evidence(
            employee=person,
            expectation=expectation,
            observed_on=timezone.localdate(),
            description=f"Shipped thing {index}.",
            by=org.manager.user,
            visibility=Evidence.Visibility.SHARED,
        )
        start_review(employee=person, target_level=person.level, by=org.manager.user)

    with django_assert_max_num_queries(15):
        response = hr_client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 15

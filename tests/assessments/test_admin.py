"""The people admin keeps history: nobody is deleted, managers are only picked."""

import pytest
from django.urls import reverse

from assessments.models import Employee

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

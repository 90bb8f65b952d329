"""Every refusal is logged on `pmladder.access` with who and what: user id, method, path,
the view and the object its address names, and why."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from .assessments.test_evidence import record
from .factories import UserFactory

pytestmark = pytest.mark.django_db


def access_log(caplog):
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "pmladder.access" and record.levelno == logging.WARNING
    ]


def logged(caplog, start):
    return [line for line in access_log(caplog) if line.startswith(start)]


def test_evidence_someone_may_see_but_not_edit_is_logged(org, as_user, caplog):
    item = record(org)
    client = as_user(org.boss.user)

    response = client.get(reverse("assessments:evidence_edit", kwargs={"pk": item.pk}))

    assert response.status_code == 403
    start = f"Refused user {org.boss.user.pk}: 403 GET /evidence/{item.pk}/edit/ "
    assert logged(caplog, start + f"[assessments:evidence_edit pk={item.pk}]: ")


def test_evidence_someone_may_not_see_is_logged(org, as_user, caplog):
    item = record(org)
    client = as_user(org.other_manager.user)

    response = client.get(reverse("assessments:evidence_edit", kwargs={"pk": item.pk}))

    assert response.status_code == 404
    start = f"Refused user {org.other_manager.user.pk}: 404 GET /evidence/{item.pk}/edit/ "
    assert logged(caplog, start + f"[assessments:evidence_edit pk={item.pk}]: ")


def test_the_team_page_refused_to_a_non_manager_is_logged(org, as_user, caplog):
    response = as_user(org.outsider).get(reverse("assessments:team"))

    assert response.status_code == 403
    assert logged(caplog, f"Refused user {org.outsider.pk}: 403 GET /team/ [assessments:team]: ")


def test_admin_refusals_are_logged(org, as_user, caplog):
    response = as_user(org.hr).get("/admin/auth/group/1/delete/")

    assert response.status_code == 403
    assert logged(
        caplog,
        f"Refused user {org.hr.pk}: 403 GET /admin/auth/group/1/delete/ "
        "[admin:auth_group_delete object_id=1]",
    )


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_someone_not_hr_sent_away_from_the_admin_is_logged(org, as_user, caplog, who):
    user = org.manager.user if who == "manager" else UserFactory(username="s", is_staff=True)

    response = as_user(user).get("/admin/assessments/employee/")

    assert response.status_code == 302
    assert logged(
        caplog,
        f"Refused user {user.pk}: 302 GET /admin/assessments/employee/ "
        "[admin:assessments_employee_changelist]: the admin is for HR; sent to its sign-in",
    )


def test_an_unknown_address_is_logged(client_signed_in, user, caplog):
    response = client_signed_in.get("/no-such-page/")

    assert response.status_code == 404
    assert logged(caplog, f"Refused user {user.pk}: 404 GET /no-such-page/: Not Found")


def test_a_typed_path_cannot_forge_log_lines(client_signed_in, caplog):
    client_signed_in.get("/nothing%0AForged: line/")

    (line,) = logged(caplog, "Refused user")
    assert "\n" not in line
    assert "/nothing\\nForged: line/" in line


def test_a_csrf_failure_is_logged_with_its_reason(user, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    assert b"Go back, reload the page and try again." in response.content
    (line,) = logged(caplog, f"Refused user {user.pk}: 403 POST /accounts/logout/")
    assert "CSRF check failed: CSRF cookie not set." in line


def test_a_failed_sign_in_is_logged_with_the_username_but_never_the_password(client, user, caplog):
    client.post(reverse("login"), {"username": "pat", "password": "hunter2-is-secret"})

    assert logged(caplog, "Failed sign-in for username 'pat' from 127.0.0.1")
    assert "hunter2-is-secret" not in caplog.text


def test_a_paused_sign_in_is_logged(client, user, settings, caplog):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("login"), {"username": "pat", "password": "nope"})

    assert response.status_code == 429
    assert logged(caplog, "Sign-in refused for username 'pat' from 127.0.0.1: paused")
    assert logged(
        caplog,
        "Refused user anonymous: 429 POST /accounts/login/ [login]: "
        "sign-in paused after too many failures",
    )


def test_a_limited_password_reset_is_logged(client, settings, caplog):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 1
    client.post(reverse("password_reset"), {"email": "someone@example.com"})

    response = client.post(reverse("password_reset"), {"email": "someone@example.com"})

    assert response.status_code == 429
    assert logged(
        caplog,
        "Refused user anonymous: 429 POST /accounts/password_reset/ [password_reset]: "
        "too many password-reset requests",
    )

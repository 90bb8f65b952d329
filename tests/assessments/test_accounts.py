"""Sign-in hardening: throttling, password rules, ending the sessions of people who left."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import services

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failures_lock_the_sign_in_for_a_while(client, settings):
    UserFactory(username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "target", "wrong-guess").status_code == 200

    locked = sign_in(client, "target", "wrong-guess")
    right_password_too = sign_in(client, "target", "a-long-test-password")

    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert b"Please wait 15 minutes and try again." in locked.content
    assert right_password_too.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_resets_the_count(client, settings):
    UserFactory(username="forgetful")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "forgetful", "nope")
    assert sign_in(client, "forgetful", "a-long-test-password").status_code == 302
    client.logout()

    assert sign_in(client, "forgetful", "nope").status_code == 200  # counting starts again


def test_lockout_is_per_username(client, settings):
    UserFactory(username="victim")
    UserFactory(username="bystander")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "victim", "nope")

    assert sign_in(client, "bystander", "a-long-test-password").status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1a", "at least 12 characters"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password, message):
    with pytest.raises(ValidationError, match=message):
        validate_password(password)


def test_a_good_password_passes():
    validate_password("correct horse battery staple")


def test_deactivating_an_employee_ends_their_sessions(org, client):
    client.force_login(org.report.user)
    assert client.get(reverse("assessments:me")).status_code == 200

    services.deactivate_employee(employee=org.report)

    response = client.get(reverse("assessments:me"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert sign_in(client, "report", "a-long-test-password").status_code == 200  # refused


def test_people_without_a_password_can_set_one_by_email(org, client, mailoutbox):
    user = org.report.user
    user.set_unusable_password()
    user.save()

    response = client.post(reverse("password_reset"), {"email": "REPORT@example.com"})

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Set your PM Ladder password"
    assert "/accounts/reset/" in mailoutbox[0].body
    assert "Your username is report." in mailoutbox[0].body


def test_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mailoutbox == []


def test_the_reset_link_sets_a_password_that_must_be_strong(org, client, mailoutbox):
    client.post(reverse("password_reset"), {"email": "report@example.com"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]

    weak = client.post(set_url, {"new_password1": "short", "new_password2": "short"})
    strong = client.post(
        set_url,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )

    assert b"at least 12 characters" in weak.content
    assert strong.status_code == 302
    org.report.user.refresh_from_db()
    assert org.report.user.check_password("a brand new passphrase")


def test_people_can_sign_in_with_their_email(client, db):
    UserFactory(username="river", email="River.Song@example.com")

    response = sign_in(client, "river.song@example.com", "a-long-test-password")

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_an_email_shared_by_two_accounts_does_not_sign_in(client, db):
    UserFactory(username="one", email="shared@example.com")
    UserFactory(username="two", email="shared@example.com")

    response = sign_in(client, "shared@example.com", "a-long-test-password")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_hr_group_can_be_restored_with_its_permissions(db):
    from django.contrib.auth.models import Group

    from assessments.selectors import HR_GROUP

    Group.objects.filter(name=HR_GROUP).delete()

    group = services.ensure_hr_group()

    assert group.name == HR_GROUP
    assert group.permissions.filter(codename="change_level").exists()
    assert group.permissions.filter(codename="add_employee").exists()

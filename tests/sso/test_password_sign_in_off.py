"""PASSWORD_SIGN_IN off: the sign-in form, the admin's sign-in, password reset, reset links
(the people import's invitations too) and password change refuse everyone but the
break-glass accounts of SSO_BREAK_GLASS_USERS, saying to use the organisation's sign-in."""

import re
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from assessments import peoplefile
from tests.assessments.test_import_people import csv_of, small_team

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
REFUSED = "Password sign-in is turned off here"  # the start of sso.rules.REFUSED


@pytest.fixture
def password_off(settings):
    settings.SSO_PROVIDERS = {
        "okta": {
            "issuer": "https://example.okta.com",
            "client_id": "id",
            "client_secret": "secret",
            "label": "Sign in with Okta",
            "trust_email": False,
        }
    }
    settings.PASSWORD_SIGN_IN = False
    settings.SSO_BREAK_GLASS_USERS = ["rescue"]


@pytest.fixture
def rescue(db):
    return UserFactory(
        username="rescue", email="rescue@example.com", is_staff=True, is_superuser=True
    )


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


ROLES = ["report", "manager", "other_manager", "hr"]


def user_of(org, role):
    return getattr(org, role) if role == "hr" else getattr(org, role).user


@pytest.mark.parametrize("role", ROLES)
def test_password_form_refuses_everyone_else_with_a_clear_message(client, org, password_off, role):
    response = sign_in(client, user_of(org, role).username)

    assert response.status_code == 200
    assert REFUSED in response.text
    assert "_auth_user_id" not in client.session
    # A failed sign-in, counted as a break-glass name's wrong password is: the lockout
    # never tells the two apart.
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_an_email_typed_instead_of_the_username_is_refused_too(client, org, password_off):
    response = sign_in(client, "report@example.com")

    assert REFUSED in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("typed", ["rescue", "rescue@example.com"])
def test_break_glass_account_still_signs_in_with_its_password(client, rescue, password_off, typed):
    response = sign_in(client, typed)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(rescue.pk)


def test_break_glass_wrong_password_is_a_failed_sign_in(client, rescue, password_off):
    response = sign_in(client, "rescue", "wrong-password")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get().failures_since_start == 1


def _answer(response, typed):
    """The page's answer, without what differs on every request or was typed."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)
    return text.replace(f'value="{typed}"', 'value="…"')


@pytest.mark.parametrize("other", ["hr", "nobody-by-this-name", "report@example.com"])
def test_the_answer_never_tells_a_break_glass_name_from_another(
    client, org, rescue, password_off, other
):
    """A break-glass account's wrong password and any other username get the same page, so
    the sign-in form cannot be used to find the break-glass names."""
    break_glass = sign_in(client, "rescue", "wrong-password")
    anyone = sign_in(client, other, "wrong-password")

    assert break_glass.status_code == anyone.status_code == 200
    assert _answer(break_glass, "rescue") == _answer(anyone, other)
    assert REFUSED in anyone.text


def test_the_lockout_never_tells_a_break_glass_name_from_another(
    client, org, rescue, password_off, settings
):
    """Refused passwords count as failed sign-ins for every name, so both kinds of name are
    locked out after the same number of tries."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rescue", "wrong-password")
        sign_in(client, "report", "wrong-password")

    locked = [sign_in(client, name, "wrong-password") for name in ("rescue", "report")]

    assert locked[0].status_code == locked[1].status_code
    assert _answer(locked[0], "rescue") == _answer(locked[1], "report")
    counts = dict(AccessAttempt.objects.values_list("username", "failures_since_start"))
    assert counts["rescue"] == counts["report"] >= settings.AXES_FAILURE_LIMIT


def test_passwords_work_while_password_sign_in_is_on(client, org, settings):
    settings.PASSWORD_SIGN_IN = True

    assert sign_in(client, "report").status_code == 302


def test_admin_sign_in_refuses_a_password_too(client, org, password_off):
    response = client.post(
        reverse("admin:login"), {"username": org.hr.username, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_lets_the_break_glass_account_in(client, rescue, password_off):
    response = client.post(reverse("admin:login"), {"username": "rescue", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(rescue.pk)


def test_sign_in_page_shows_only_the_buttons_and_an_administrator_path(client, password_off):
    page = client.get(reverse("login")).text

    assert "Sign in with Okta" in page
    assert "Administrator sign-in" in page
    assert "Forgotten your password" not in page


def test_password_reset_sends_nothing_to_people(client, org, password_off, mailoutbox):
    page = client.get(reverse("password_reset"))
    response = client.post(reverse("password_reset"), {"email": "report@example.com"})

    assert "Password sign-in is turned off" in page.text
    assert response.status_code == 302  # the same answer as for any address
    assert mailoutbox == []


def test_password_reset_still_reaches_the_break_glass_account(
    client, rescue, password_off, mailoutbox
):
    client.post(reverse("password_reset"), {"email": "rescue@example.com"})

    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Set your PM Ladder password"
    assert "/accounts/reset/" in mailoutbox[0].body


def reset_link(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


def test_a_reset_link_sent_earlier_is_refused(client, org, password_off):
    user = org.report.user

    response = client.get(reset_link(user), follow=True)

    assert response.status_code == 403
    assert REFUSED in response.text


def test_a_reset_link_of_the_break_glass_account_works(client, rescue, password_off):
    response = client.get(reset_link(rescue), follow=True)

    assert response.status_code == 200
    assert "new_password1" in response.text


def test_invalid_reset_link_still_says_it_is_invalid(client, password_off):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "set-password"]))

    assert response.status_code == 200
    assert REFUSED not in response.text


@pytest.mark.parametrize("role", ROLES)
def test_password_change_is_refused(client, org, password_off, role):
    client.force_login(user_of(org, role))

    response = client.get(reverse("password_change"))

    assert response.status_code == 403
    assert REFUSED in response.text


def test_password_change_works_for_the_break_glass_account(client, rescue, password_off):
    client.force_login(rescue)

    assert client.get(reverse("password_change")).status_code == 200


def test_the_admins_password_change_is_refused_too(client, org, password_off):
    client.force_login(org.hr)

    response = client.get(reverse("admin:password_change"))
    posted = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": "x-Long-9-pass", "new_password2": "x"},
    )

    assert response.status_code == posted.status_code == 403
    assert REFUSED in response.text


def test_the_admins_password_change_works_for_the_break_glass_account(client, rescue, password_off):
    client.force_login(rescue)

    assert client.get(reverse("admin:password_change")).status_code == 200


def test_password_change_still_needs_a_sign_in(client, password_off):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_import_invitations_point_to_the_sign_in_page_not_a_password_link(
    default_ladder, password_off, mailoutbox
):
    summary = peoplefile.import_people(
        content=csv_of(small_team()), invite=True, domain="ladder.example.com", use_https=True
    )

    assert summary.invited == 3
    message = mailoutbox[0]
    assert message.subject == "Your PM Ladder account"
    links = [word for word in message.body.split() if word.startswith("https://")]
    assert [urlsplit(link).path for link in links] == [reverse("login")]
    assert "/accounts/reset/" not in message.body
    assert "You need no password" in message.body


def test_import_invitations_still_carry_a_password_link_while_passwords_are_on(
    default_ladder, mailoutbox
):
    peoplefile.import_people(
        content=csv_of(small_team()[:1]), invite=True, domain="ladder.example.com"
    )

    assert mailoutbox[0].subject == "Set your PM Ladder password"
    assert "/accounts/reset/" in mailoutbox[0].body

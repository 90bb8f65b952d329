"""Personal access tokens: made and shown once, stored as a hash, revoked, expiring, and
the page where each person manages their own."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from api import services
from api.models import AccessToken

from .conftest import ApiClient, assert_error, token_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


# The token's life ---------------------------------------------------------------------------


def test_a_new_token_is_stored_only_as_its_hash(org):
    token, text = services.create_token(user=org.report.user, name="Sync script")

    stored = AccessToken.objects.get(pk=token.pk)
    assert text.startswith("pml_")
    assert len(text) > 40
    assert stored.token_hash == hashlib.sha256(text.encode()).hexdigest()
    assert stored.prefix == text[:12]
    values = [
        str(value) for value in AccessToken.objects.filter(pk=token.pk).values().get().values()
    ]
    assert not any(text in value for value in values)


def test_a_token_signs_its_owner_in_and_notes_when_it_was_used(org):
    text = token_for(org.report.user)
    assert AccessToken.objects.get().last_used_at is None

    response = ApiClient(text).get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == "report"
    assert response.json()["person"]["email"] == "report@example.com"
    assert AccessToken.objects.get().last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(org, django_assert_num_queries):
    text = token_for(org.report.user)
    services.user_for_token(text)
    with django_assert_num_queries(1):  # the lookup alone, no write
        assert services.user_for_token(text)[0] == org.report.user


def test_a_revoked_token_is_refused(org):
    token, text = services.create_token(user=org.report.user, name="Old")
    services.revoke_token(token=token)

    response = ApiClient(text).get(ME)

    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AccessToken.objects.get().status == AccessToken.Status.REVOKED


def test_a_token_works_through_its_expiry_date_and_not_after(org):
    today = timezone.localdate()
    token, text = services.create_token(user=org.report.user, name="Short", expires_on=today)
    assert ApiClient(text).get(ME).status_code == 200

    AccessToken.objects.filter(pk=token.pk).update(expires_on=today - datetime.timedelta(days=1))

    assert_error(ApiClient(text).get(ME), 401, "authentication_failed")
    assert AccessToken.objects.get().status == AccessToken.Status.EXPIRED


def test_a_token_of_someone_who_left_is_refused(org):
    text = token_for(org.report.user)
    org.report.user.is_active = False
    org.report.user.save()

    assert_error(ApiClient(text).get(ME), 401, "authentication_failed")


@pytest.mark.parametrize(
    "header",
    ["Bearer pml_not-a-real-token", "Bearer", "Bearer two parts", "Bearer nonsense"],
)
def test_unknown_or_malformed_tokens_are_refused(org, header):
    response = ApiClient().get(ME, Authorization=header)

    assert_error(response, 401, "authentication_failed")


def test_no_token_is_refused(db):
    response = ApiClient().get(ME)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [("", 30, "name"), ("   ", 30, "name"), ("x" * 101, 30, "name"), ("ok", -1, "expires_on")],
)
def test_bad_tokens_are_refused(org, name, days, field):
    with pytest.raises(ValidationError) as refused:
        services.create_token(
            user=org.report.user,
            name=name,
            expires_on=timezone.localdate() + datetime.timedelta(days=days),
        )

    assert field in refused.value.message_dict
    assert not AccessToken.objects.exists()


# The page -----------------------------------------------------------------------------------

LIST = reverse("tokens:list")
NEW = reverse("tokens:new")
REVOKE = reverse("tokens:revoke")


@pytest.mark.parametrize("url", [LIST, NEW, REVOKE])
def test_signed_out_people_are_sent_to_sign_in(client, url, db):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["report", "manager", "other_manager", "hr", "outsider"])
def test_everyone_sees_their_own_tokens_only(org, as_user, persona):
    user = {
        "report": org.report.user,
        "manager": org.manager.user,
        "other_manager": org.other_manager.user,
        "hr": org.hr,
        "outsider": org.outsider,
    }[persona]
    services.create_token(user=user, name="Mine")
    for someone in {org.report.user, org.hr, org.outsider} - {user}:
        services.create_token(user=someone, name=f"Of {someone.username}")

    response = as_user(user).get(LIST)

    assert response.status_code == 200
    assert list(response.context["tokens"].values_list("name", flat=True)) == ["Mine"]
    assert "Of " not in response.content.decode()


def test_the_page_says_when_there_are_no_tokens(org, as_user):
    response = as_user(org.report.user).get(LIST)

    assert "You have no access tokens yet." in response.content.decode()


def test_a_new_token_is_shown_once(org, as_user):
    client = as_user(org.report.user)

    response = client.post(NEW, {"name": "Sync", "expires": "30"})

    assert response.status_code == 200
    text = response.context["text"]
    assert text in response.content.decode()
    assert "only time it is shown" in response.content.decode()
    token = AccessToken.objects.get(user=org.report.user)
    assert token.expires_on == timezone.localdate() + datetime.timedelta(days=30)
    listed = client.get(LIST).content.decode()
    assert text not in listed
    assert token.prefix in listed
    assert ApiClient(text).get(ME).status_code == 200


def test_a_token_can_expire_on_a_date_or_never(org, as_user):
    client = as_user(org.report.user)
    date = timezone.localdate() + datetime.timedelta(days=10)

    client.post(NEW, {"name": "Dated", "expires": "date", "expires_on": date.isoformat()})
    client.post(NEW, {"name": "Forever", "expires": "never"})

    expiries = dict(AccessToken.objects.values_list("name", "expires_on"))
    assert expiries == {"Dated": date, "Forever": None}


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "expires": "30"},
        {"name": "No date", "expires": "date"},
        {"name": "Past", "expires": "date", "expires_on": "2001-01-01"},
        {"name": "Far", "expires": "date", "expires_on": "2999-01-01"},
        {"name": "Odd", "expires": "tomorrow"},
    ],
)
def test_bad_input_shows_the_form_again(org, as_user, data):
    response = as_user(org.report.user).post(NEW, data)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert not AccessToken.objects.exists()


def test_revoking_asks_first_then_revokes(org, as_user):
    token, text = services.create_token(user=org.report.user, name="Leaky")
    client = as_user(org.report.user)

    page = client.get(REVOKE, {"token": token.pk})
    assert page.status_code == 200
    assert "Revoke “Leaky”?" in page.content.decode()
    assert AccessToken.objects.get().revoked_at is None

    response = client.post(REVOKE, {"token": token.pk}, follow=True)

    assert response.redirect_chain[-1][0] == LIST
    assert "revoked: it no longer works" in response.content.decode()
    assert AccessToken.objects.get().revoked_at is not None
    assert_error(ApiClient(text).get(ME), 401)


@pytest.mark.parametrize("persona", ["manager", "hr", "outsider"])
def test_nobody_revokes_someone_elses_token(org, as_user, persona):
    token, _ = services.create_token(user=org.report.user, name="Remi's")
    user = {"manager": org.manager.user, "hr": org.hr, "outsider": org.outsider}[persona]
    client = as_user(user)

    assert client.get(REVOKE, {"token": token.pk}).status_code == 404
    assert client.post(REVOKE, {"token": token.pk}).status_code == 404
    assert AccessToken.objects.get().revoked_at is None


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_revoking_an_unknown_token_is_404(org, as_user, value):
    assert as_user(org.report.user).post(REVOKE, {"token": value}).status_code == 404

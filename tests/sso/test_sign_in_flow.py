"""Sign-on end to end against the real provider: the identity comes back with a code,
the app exchanges it, checks the ID token and signs in the person with that verified
email, or shows a page that says why not."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.conftest import place

from .conftest import provider_answer, sign_in_at_provider
from .provider import ALICE, UNVERIFIED, USERINFO_ONLY

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(org):
    """The person the provider's Alice is: same email, in another case."""
    person = place(org.ladder, "alice", "Alice Smith", "pm", manager=org.manager)
    person.email = ALICE["email"].lower()
    person.save(update_fields=["email"])
    return person


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def test_person_signs_in_by_verified_email_and_lands_on_their_page(client, sso, alice):
    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(alice.user.pk)
    assert client.get(reverse("assessments:me")).context["employee"] == alice


def test_sign_in_goes_on_to_the_page_asked_for(client, sso, alice, org):
    wanted = reverse("assessments:person", args=[alice.pk])

    response = sign_in_at_provider(client, ALICE["username"], next_url=wanted)

    assert response["Location"] == wanted


def test_next_to_another_site_is_ignored(client, sso, alice):
    response = sign_in_at_provider(client, ALICE["username"], next_url="https://evil.example/")

    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(alice.user.pk)


def test_hr_account_without_a_person_signs_in_by_its_email(client, sso, org):
    org.hr.email = ALICE["email"].upper()
    org.hr.save(update_fields=["email"])

    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(org.hr.pk)


def test_email_only_in_userinfo_is_asked_for_there(client, sso, org):
    person = place(org.ladder, "uma", "Uma Info", "pm", manager=org.manager)
    assert person.email == USERINFO_ONLY["email"]

    response = sign_in_at_provider(client, USERINFO_ONLY["username"])

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(person.user.pk)


def test_unverified_email_is_refused(client, sso, org):
    person = place(org.ladder, "una", "Una Verified", "pm", manager=org.manager)
    assert person.email == UNVERIFIED["email"]

    response = sign_in_at_provider(client, UNVERIFIED["username"])

    assert response.status_code == 403
    assert "not verified" in response.text
    assert signed_in_user_id(client) is None


def test_unknown_email_gets_the_refusal_page(client, sso, org):
    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 403
    assert "sso/refused.html" in [t.name for t in response.templates]
    assert "Nobody with this email address is set up in PM Ladder" in response.text
    assert "Ask your HR team to add you" in response.text
    assert ALICE["email"].lower() in response.text.lower()
    assert signed_in_user_id(client) is None


def test_person_who_left_is_refused(client, sso, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 403
    assert "switched off" in response.text
    assert signed_in_user_id(client) is None


def test_switched_off_sign_in_is_refused(client, sso, alice):
    alice.user.is_active = False
    alice.user.save(update_fields=["is_active"])

    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_person_without_sign_in_is_refused_by_default(client, sso, alice):
    user = alice.user
    alice.user = None
    alice.save(update_fields=["user"])
    user.delete()

    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 403
    assert "no sign-in yet" in response.text
    alice.refresh_from_db()
    assert alice.user is None


def test_create_sign_in_setting_gives_an_imported_person_their_sign_in(
    client, sso, alice, settings
):
    settings.SSO_CREATE_SIGN_IN = True
    user = alice.user
    alice.user = None
    alice.save(update_fields=["user"])
    user.delete()

    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.user.username == alice.email
    assert alice.user.email == alice.email
    assert not alice.user.has_usable_password()
    assert (alice.user.first_name, alice.user.last_name) == ("Alice", "Smith")
    assert signed_in_user_id(client) == str(alice.user.pk)


def test_a_code_is_used_once(client, sso, alice):
    answer = provider_answer(client, ALICE["username"])
    assert client.get(answer).status_code == 302
    client.logout()

    again = client.get(answer)

    assert again.status_code == 400
    assert "could not be finished" in again.text
    assert signed_in_user_id(client) is None


def test_answer_in_another_browser_is_refused(client, sso, alice):
    """The state ties the answer to the session that started sign-on."""
    from django.test import Client

    answer = provider_answer(client, ALICE["username"])

    response = Client().get(answer)

    assert response.status_code == 400
    assert "another tab or window" in response.text


def test_forged_state_is_refused(client, sso, alice):
    answer = provider_answer(client, ALICE["username"])
    forged = answer.replace("state=", "state=x")

    response = client.get(forged)

    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def _state_key(answer):
    return f"_state_local_{parse_qs(urlsplit(answer).query)['state'][0]}"


def test_id_token_with_another_nonce_is_refused(client, sso, alice, caplog):
    """The provider's real ID token carries the nonce this sign-on sent; one that does not
    match what the session expects (a token replayed from another sign-on) is refused."""
    answer = provider_answer(client, ALICE["username"])
    session = client.session
    key = _state_key(answer)
    state = session[key]
    state["data"]["nonce"] = "a-nonce-of-another-sign-on"
    session[key] = state
    session.save()

    response = client.get(answer)

    assert response.status_code == 502
    assert "Sign-in did not finish" in response.text
    assert signed_in_user_id(client) is None
    assert "nonce" in caplog.text


def test_id_token_signed_with_another_key_is_refused(client, sso, alice, monkeypatch, caplog):
    """An ID token whose signature does not verify with the provider's key (here: the app
    holds another key under the same key id) is refused, and nobody is signed in."""
    from joserfc.jwk import RSAKey

    from sso.clients import client_for

    provider_client = client_for("local")
    metadata = provider_client.load_server_metadata()
    real = requests.get(metadata["jwks_uri"], timeout=10).json()["keys"][0]
    other = RSAKey.generate_key(2048, parameters={"kid": real["kid"], "use": "sig"})
    monkeypatch.setitem(
        provider_client.server_metadata, "jwks", {"keys": [other.as_dict(private=False)]}
    )

    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 502
    assert "Sign-in did not finish" in response.text
    assert signed_in_user_id(client) is None
    assert "signature" in caplog.text.lower()


def test_cancelled_at_the_provider_says_so(client, sso):
    client.get(reverse("sso:start", args=["local"]))

    response = client.get(
        reverse("sso:callback", args=["local"]) + "?error=access_denied&state=whatever"
    )

    assert response.status_code == 403
    assert "cancelled or refused" in response.text


def test_other_provider_error_says_so(client, sso):
    response = client.get(reverse("sso:callback", args=["local"]) + "?error=server_error")

    assert response.status_code == 502
    assert "could not be reached" in response.text


def test_provider_that_cannot_be_reached_gives_a_clear_page(client, settings, sso):
    settings.SSO_PROVIDERS = {"down": sso.settings(issuer="http://127.0.0.1:9/o")}

    response = client.get(reverse("sso:start", args=["down"]))

    assert response.status_code == 502
    assert "could not be reached" in response.text


def test_wrong_client_secret_gives_a_clear_page(client, settings, sso, alice):
    settings.SSO_PROVIDERS = {"local": sso.settings(client_secret="wrong")}

    response = sign_in_at_provider(client, ALICE["username"])

    assert response.status_code == 502
    assert signed_in_user_id(client) is None


def test_unknown_provider_is_404(client, sso):
    assert client.get(reverse("sso:start", args=["nope"])).status_code == 404
    assert client.get(reverse("sso:callback", args=["nope"])).status_code == 404


def test_sign_out_ends_the_local_session(client, sso, alice):
    sign_in_at_provider(client, ALICE["username"])
    assert signed_in_user_id(client) is not None

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    assert client.get(reverse("assessments:me"))["Location"].startswith(reverse("login"))


def test_sign_out_can_also_sign_out_at_the_provider(client, sso, alice, settings):
    settings.SSO_LOGOUT_AT_PROVIDER = True
    sign_in_at_provider(client, ALICE["username"])

    response = client.post(reverse("logout"))

    assert signed_in_user_id(client) is None
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{sso.issuer}/logout/"
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert query["client_id"] == [sso.client_id]
    at_provider = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    assert at_provider.headers["Location"] == "http://testserver/accounts/login/"


def test_password_sign_in_signs_out_here_only_even_with_provider_sign_out(
    client, sso, alice, settings
):
    settings.SSO_LOGOUT_AT_PROVIDER = True
    client.force_login(alice.user)

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")


def test_sso_sign_in_is_logged_like_a_password_sign_in(client, sso, alice):
    from axes.models import AccessLog

    sign_in_at_provider(client, ALICE["username"])

    assert AccessLog.objects.count() == 1

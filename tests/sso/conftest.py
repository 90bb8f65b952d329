"""Fixtures of the sign-on tests: the real provider (tests.sso.provider), the app's
settings pointing at it, and `sign_in_at_provider`, which goes through the whole flow with
the test client on the app's side and an HTTP client on the provider's."""

from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import requests
from django.urls import reverse

from .provider import PASSWORD, identity_provider  # noqa: F401 (a fixture)


@pytest.fixture
def sso(settings, identity_provider):  # noqa: F811
    """The app configured with the test provider as `local`."""
    settings.SSO_PROVIDERS = {"local": identity_provider.settings()}
    settings.SSO_CREATE_SIGN_IN = False
    settings.PASSWORD_SIGN_IN = True
    settings.SSO_LOGOUT_AT_PROVIDER = False
    settings.SSO_BREAK_GLASS_USERS = []
    return identity_provider


def provider_answer(client, username, *, provider="local", next_url=None, password=PASSWORD):
    """Start sign-on in `client`, sign in at the provider as `username`; return the address
    (path and query) the provider sends the browser back to."""
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    started = client.get(reverse("sso:start", args=[provider]) + query)
    assert started.status_code == 302, started
    browser = requests.Session()
    answer = browser.get(started["Location"], allow_redirects=False)
    login_url = urljoin(started["Location"], answer.headers["Location"])
    browser.get(login_url)
    signed_in = browser.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["idp_csrf"],
        },
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, "the provider refused its own user"
    answer = browser.get(urljoin(login_url, signed_in.headers["Location"]), allow_redirects=False)
    back = urlsplit(answer.headers["Location"])
    assert back.netloc == "testserver", back
    return f"{back.path}?{back.query}"


def sign_in_at_provider(client, username, **kwargs):
    """The app's answer to the provider sending `username` back."""
    return client.get(provider_answer(client, username, **kwargs))

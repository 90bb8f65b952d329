"""The sign-in page lists each configured provider as a button, in the configured order,
keeping where the person was going; with no provider it is the password form alone."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def provider(label):
    return {
        "issuer": "https://login.example.com",
        "client_id": "id",
        "client_secret": "secret",
        "label": label,
        "trust_email": False,
    }


@pytest.fixture
def two_providers(settings):
    settings.SSO_PROVIDERS = {
        "okta": provider("Sign in with Okta"),
        "entra": provider("Sign in with Microsoft"),
    }


def test_each_provider_has_a_button_in_order(client, two_providers):
    page = client.get(reverse("login")).text

    okta = page.index(f'href="{reverse("sso:start", args=["okta"])}"')
    entra = page.index(f'href="{reverse("sso:start", args=["entra"])}"')
    assert okta < entra
    assert page.index("Sign in with Okta") < page.index("Sign in with Microsoft")


def test_password_form_stays_below_the_buttons_while_passwords_are_on(client, two_providers):
    page = client.get(reverse("login")).text

    assert "or with your PM Ladder password" in page
    assert 'name="password"' in page
    assert "Forgotten your password" in page
    assert "Administrator sign-in" not in page


def test_buttons_keep_the_page_asked_for(client, two_providers):
    page = client.get(reverse("login") + "?next=/me/%3Fa%3D1").text

    assert f'href="{reverse("sso:start", args=["okta"])}?next=/me/%3Fa%3D1"' in page


def test_without_providers_the_page_is_the_password_form(client, settings):
    settings.SSO_PROVIDERS = {}

    page = client.get(reverse("login")).text

    assert "/accounts/sso/" not in page
    assert 'name="password"' in page

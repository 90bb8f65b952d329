"""SSO settings from the environment (sso.config): what a good configuration gives, and a
clear ImproperlyConfigured for each mistake."""

import re
import shlex
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from sso.config import check_sign_in_possible, providers_from_environment

OKTA = {
    "SSO_PROVIDERS": "okta, entra",
    "SSO_OKTA_ISSUER": "https://example.okta.com/oauth2/default/",
    "SSO_OKTA_CLIENT_ID": "okta-id",
    "SSO_OKTA_CLIENT_SECRET": "okta-secret",
    "SSO_OKTA_LABEL": "Sign in with Okta",
    "SSO_ENTRA_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0",
    "SSO_ENTRA_CLIENT_ID": "entra-id",
    "SSO_ENTRA_CLIENT_SECRET": "entra-secret",
    "SSO_ENTRA_TRUST_EMAIL": "1",
}


def test_providers_in_order_with_their_settings():
    providers = providers_from_environment(OKTA)

    assert list(providers) == ["okta", "entra"]
    assert providers["okta"] == {
        "issuer": "https://example.okta.com/oauth2/default",
        "client_id": "okta-id",
        "client_secret": "okta-secret",
        "label": "Sign in with Okta",
        "trust_email": False,
    }
    assert providers["entra"]["label"] == "Sign in with Entra"
    assert providers["entra"]["trust_email"] is True


def test_no_providers_by_default():
    assert providers_from_environment({}) == {}
    assert providers_from_environment({"SSO_PROVIDERS": " , "}) == {}


@pytest.mark.parametrize(
    "missing", ["SSO_OKTA_ISSUER", "SSO_OKTA_CLIENT_ID", "SSO_OKTA_CLIENT_SECRET"]
)
def test_a_missing_value_names_the_variable(missing):
    environ = {**OKTA, missing: ""}

    with pytest.raises(ImproperlyConfigured, match=missing):
        providers_from_environment(environ)


@pytest.mark.parametrize("name", ["Okta", "my-idp", "1okta", "a" * 31])
def test_unusable_names_are_refused(name):
    with pytest.raises(ImproperlyConfigured, match="not a usable provider name"):
        providers_from_environment({"SSO_PROVIDERS": name})


def test_a_name_given_twice_is_refused():
    with pytest.raises(ImproperlyConfigured, match="twice"):
        providers_from_environment({**OKTA, "SSO_PROVIDERS": "okta,okta"})


@pytest.mark.parametrize(
    "issuer", ["http://login.example.com", "login.example.com", "ftp://example.com", "https://"]
)
def test_issuer_must_be_https(issuer):
    with pytest.raises(ImproperlyConfigured, match="SSO_OKTA_ISSUER"):
        providers_from_environment({**OKTA, "SSO_OKTA_ISSUER": issuer})


def test_plain_http_is_allowed_on_this_machine_only():
    environ = {**OKTA, "SSO_OKTA_ISSUER": "http://127.0.0.1:8080/realms/test"}

    assert providers_from_environment(environ)["okta"]["issuer"] == environ["SSO_OKTA_ISSUER"]


def test_trust_email_must_be_yes_or_no():
    with pytest.raises(ImproperlyConfigured, match="SSO_ENTRA_TRUST_EMAIL"):
        providers_from_environment({**OKTA, "SSO_ENTRA_TRUST_EMAIL": "maybe"})


def test_password_sign_in_off_needs_a_provider():
    with pytest.raises(ImproperlyConfigured, match="nobody could sign in"):
        check_sign_in_possible({}, False)
    check_sign_in_possible({}, True)
    check_sign_in_possible(providers_from_environment(OKTA), False)


# The README's examples ------------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples():
    """The groups of variables of the README's "Single sign-on" examples, as dicts."""
    text = README.read_text()
    section = text[text.index("\n## Single sign-on\n") : text.index("\n## The ladder\n")]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    groups = []
    for chunk in block.split("\n\n"):
        env = {}
        for line in chunk.splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = shlex.split(value)[0] if value else ""
        groups.append(env)
    return groups


def test_each_readme_example_configures_its_provider():
    *providers, password_off = readme_examples()
    assert [env["SSO_PROVIDERS"] for env in providers] == ["okta", "entra", "keycloak"]
    for env in providers:
        configured = providers_from_environment({**env, **password_off})
        (name,) = configured
        assert configured[name]["issuer"].startswith("https://")
        check_sign_in_possible(configured, password_sign_in=password_off["PASSWORD_SIGN_IN"] != "0")
    assert providers_from_environment(providers[1])["entra"]["trust_email"] is True


def test_the_readme_callback_address_is_the_apps():
    text = README.read_text()

    assert "`https://<your host>/accounts/sso/<name>/callback/`" in text
    assert reverse("sso:callback", args=["okta"]) == "/accounts/sso/okta/callback/"
    assert "/accounts/sso/okta/callback/" in text


def test_an_http_issuer_is_taken_only_on_this_machine_as_the_readme_says():
    base = {"SSO_PROVIDERS": "local", "SSO_LOCAL_CLIENT_ID": "id", "SSO_LOCAL_CLIENT_SECRET": "s"}
    local = {**base, "SSO_LOCAL_ISSUER": "http://127.0.0.1:8080/o"}
    assert providers_from_environment(local)["local"]["issuer"] == "http://127.0.0.1:8080/o"
    with pytest.raises(ImproperlyConfigured):
        providers_from_environment({**base, "SSO_LOCAL_ISSUER": "http://idp.example.com/o"})
    assert "accepted only on this machine" in " ".join(README.read_text().split())

"""Single sign-on in a real browser: the person clicks their organisation's button, signs
in at the provider's own form (the test provider of tests/sso, a real OpenID Connect
server) and lands on their own page; someone the app does not know gets the refusal page."""

import re

import pytest
from playwright.sync_api import expect

from tests.sso.provider import ALICE, PASSWORD, identity_provider  # noqa: F401 (a fixture)

from ..conftest import place

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def sso(settings, identity_provider):  # noqa: F811
    settings.SSO_PROVIDERS = {
        "local": identity_provider.settings(label="Sign in with Example Corp"),
        "second": identity_provider.settings(label="Sign in with the partner company"),
    }
    settings.SSO_CREATE_SIGN_IN = False
    settings.PASSWORD_SIGN_IN = True
    settings.SSO_LOGOUT_AT_PROVIDER = False
    return identity_provider


def sign_in_at_provider(page):
    page.get_by_label("Username").fill(ALICE["username"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()


def test_person_signs_in_with_their_organisation_and_lands_on_their_page(
    page, org, sso, assert_accessible, live_server
):
    alice = place(org.ladder, "alice", "Alice Smith", "pm", manager=org.manager)
    alice.email = ALICE["email"].lower()
    alice.save(update_fields=["email"])

    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("link", name="Sign in with the partner company")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Sign in with Example Corp").click()

    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/login/"))
    sign_in_at_provider(page)

    expect(page).to_have_url(f"{live_server.url}/me/")
    expect(page.get_by_role("heading", name="Alice Smith")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert page.console_errors == []


def test_someone_unknown_gets_a_page_saying_what_to_do(page, org, sso, assert_accessible):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Example Corp").click()
    sign_in_at_provider(page)

    expect(page.get_by_role("heading", name="You are not signed in")).to_be_visible()
    expect(page.get_by_text("Ask your HR team to add you")).to_be_visible()
    assert_accessible(page)

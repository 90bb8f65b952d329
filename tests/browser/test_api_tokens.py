"""The access tokens page and the API's documentation page in Chromium: a manager makes a
token, copies it, uses it, and revokes it; the docs page draws every endpoint from the
app's own files, under the app's content security policy."""

import re

import pytest
from playwright.sync_api import expect

from ..api.conftest import ApiClient
from .test_browse_ladder import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_manager_makes_uses_and_revokes_a_token(page, org, assert_accessible):
    sign_in(page, "manager")
    page.get_by_role("link", name="Access tokens").click()
    expect(page.get_by_text("You have no access tokens yet.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="New token").first.click()
    page.get_by_label("Name").fill("Team sync")
    page.get_by_label("In 30 days").check()
    assert_accessible(page)
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", name="Copy your new token")).to_be_visible()
    assert_accessible(page)
    text = page.get_by_label("Team sync").input_value()
    assert text.startswith("pml_")
    assert ApiClient(text).get("/api/v1/me/").json()["username"] == "manager"

    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", name="Team sync Active")).to_be_visible()
    assert text not in page.content()
    page.get_by_role("link", name="Revoke Team sync").click()
    assert_accessible(page)
    page.get_by_role("main").get_by_role("button", name="Revoke").click()

    expect(page.get_by_text("revoked: it no longer works")).to_be_visible()
    assert ApiClient(text).get("/api/v1/me/").status_code == 401
    assert page.console_errors == []


def test_the_docs_page_lists_the_endpoints(page, org):
    sign_in(page, "report")

    page.goto("/api/v1/docs/")

    expect(page.get_by_role("heading", name="API documentation")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text(re.compile("List people"))).to_be_visible()
    assert page.console_errors == []

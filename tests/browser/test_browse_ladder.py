"""The main journey through the ladder, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from levels import services

from ..factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def ladder_user():
    services.load_default_ladder()
    return UserFactory(username="river", first_name="River", last_name="Song")


def sign_in(page, username, password="a-long-test-password"):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_browse_compare_and_sign_out(page, ladder_user, assert_accessible):
    sign_in(page, "river")
    expect(page.get_by_role("heading", name="Career ladders")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Product Management").click()
    expect(page.get_by_role("heading", name="Product Management", level=1)).to_be_visible()
    expect(page.locator(".career-path-wide svg")).to_be_visible()
    assert_accessible(page)

    # Open a level from the career-path picture.
    page.locator(".career-path-wide").get_by_role(
        "link", name="Senior Product Manager (L5)"
    ).click()
    expect(page.get_by_role("heading", name="Senior Product Manager")).to_be_visible()
    expect(page.get_by_text("Own critical product lines with P&L impact")).to_be_visible()
    assert_accessible(page)

    # From the level, see what changes on the way to Staff PM.
    page.locator(".next-levels li", has_text="Individual Contributor").get_by_role(
        "link", name="what changes"
    ).click()
    expect(page).to_have_url(re.compile(r"compare/\?levels=senior-pm,staff-pm"))
    expect(page.locator(".compare-table .badge-new").first).to_be_visible()
    assert_accessible(page)

    # Compare two other levels with the picker.
    page.get_by_label("From").select_option("pm")
    page.get_by_label("To").select_option("senior-pm")
    page.get_by_role("button", name="Compare").click()
    expect(
        page.get_by_role("columnheader", name=re.compile("Senior Product Manager"))
    ).to_be_visible()
    expect(page.get_by_role("table").get_by_text("was: Stakeholder management")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Getting promoted").click()
    expect(page.get_by_text("Performing at next level for 6+ months")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="FAQ").click()
    expect(page.get_by_role("heading", name="Is CPO a realistic career goal?")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_accessible(page)
    assert page.console_errors == []  # nothing blocked by the content security policy


def test_phone_sized_screen_shows_the_tall_picture_and_a_working_menu(
    chromium, live_server, ladder_user
):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, "river")
    page.goto("/ladders/product-management/")

    expect(page.locator(".career-path-tall svg")).to_be_visible()
    expect(page.locator(".career-path-wide svg")).to_be_hidden()
    page.get_by_role("button", name="Show navigation").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    context.close()


def test_admin_works_under_the_content_security_policy(page, assert_accessible):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    page.goto("/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Levels", exact=True)).to_be_visible()
    page.get_by_role("link", name="Levels", exact=True).click()
    page.get_by_role("link", name=re.compile("Add level")).click()
    expect(page.get_by_label("Key")).to_be_visible()
    assert page.console_errors == []

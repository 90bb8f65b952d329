"""A ladder duplicated as a draft, edited and published, in a real browser: the PM cannot
open the draft until HR publishes it."""

import re

import pytest
from playwright.sync_api import expect

from levels.models import Ladder

from .test_browse_ladder import sign_in
from .test_ladder_admin import admin_sign_in, inline_row, save_and_continue

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_hr_duplicates_edits_and_publishes_a_draft(page, org, live_server, assert_accessible):
    pm_view = page.context.browser.new_context(base_url=live_server.url).new_page()
    sign_in(pm_view, "report")
    admin_sign_in(page, "hr")

    # Duplicate: the copy is a draft of the published ladder.
    page.goto(f"/admin/levels/ladder/{org.ladder.pk}/change/")
    page.get_by_role("link", name="Duplicate").click()
    page.get_by_label("Slug").fill("pm-2027")
    page.get_by_label("Name").fill("Product Management 2027")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.locator(".messagelist .success")).to_contain_text("independent draft")
    draft = Ladder.objects.get(slug="pm-2027")
    assert (draft.status, draft.draft_of) == (Ladder.Status.DRAFT, org.ladder)

    # Edit the draft.
    inline_row(page.locator("#levels-group"), "Product Manager").locator(
        "input[name$='-name']"
    ).first.fill("Product Manager (2027)")
    save_and_continue(page, "Product Management 2027")
    assert draft.levels.get(key="pm").name == "Product Manager (2027)"

    # HR reads it on the ladder pages, marked as a draft; the PM cannot open it.
    page.goto("/ladders/pm-2027/")
    expect(page.locator(".ladder-status")).to_contain_text("Draft — only HR can see this ladder.")
    assert_accessible(page)
    response = pm_view.goto("/ladders/pm-2027/")
    assert response.status == 404
    pm_view.goto("/ladders/")
    expect(pm_view.get_by_role("link", name="Product Management 2027")).to_have_count(0)

    # Publish it, saying why.
    page.get_by_role("link", name="Publish it in the admin").click()
    expect(page.get_by_role("heading", name="Publish Product Management 2027")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why? (optional)").fill("Signed off by the PM leads")
    page.get_by_role("button", name="Publish Product Management 2027").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "Published Product Management 2027"
    )
    expect(page).to_have_url(re.compile(rf"/admin/levels/ladder/{draft.pk}/change/$"))
    draft.refresh_from_db()
    assert draft.is_published
    assert draft.history.first().history_change_reason == "Published: Signed off by the PM leads"

    # Now the PM finds it.
    pm_view.goto("/ladders/")
    pm_view.get_by_role("link", name="Product Management 2027").click()
    expect(pm_view.get_by_role("heading", name="Product Management 2027", level=1)).to_be_visible()
    expect(pm_view.locator(".ladder-status")).to_have_count(0)
    pm_view.context.close()
    assert page.console_errors == []

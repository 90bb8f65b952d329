"""Evidence in the browser: a manager records it, the PM logs a win, the manager confirms
it, and the promotion packet renders and prints."""

import re

import pytest
from playwright.sync_api import expect

from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_evidence_wins_and_the_packet(page, org, assert_accessible):
    sign_in(page, "manager")
    page.goto(f"/people/{org.report.pk}/")
    page.get_by_role("link", name="Record evidence", exact=True).click()
    expect(page.get_by_label("What happened")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Expectation").select_option(
        label="Own a product area with multiple features"
    )
    page.get_by_label("What happened").fill("Took over the billing area and cut churn by 3 points.")
    page.get_by_label("Impact").check()
    page.get_by_role("button", name="Record evidence").click()
    expect(page.get_by_text("Evidence recorded for Remi Report.")).to_be_visible()
    expect(page.get_by_text("1 piece of evidence").first).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "report")
    expect(
        page.get_by_text("Took over the billing area and cut churn by 3 points.")
    ).to_be_visible()
    page.get_by_role("link", name="Log a win", exact=True).click()
    expect(page.get_by_label("Who can read it")).to_have_count(0)  # wins are always shared
    page.get_by_label("Expectation").select_option(label="Drive metrics and business outcomes")
    page.get_by_label("What happened").fill("Set up the weekly metrics review for the squad.")
    page.get_by_role("button", name="Log win").click()
    expect(page.get_by_text("Win logged. Your manager will confirm it.")).to_be_visible()
    expect(page.get_by_text("Waiting for confirmation")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "manager")
    page.get_by_role("link", name="Team", exact=True).click()
    expect(
        page.get_by_role("heading", name=re.compile("Wins waiting for you to confirm"))
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Confirmed Remi Report's win.")).to_be_visible()

    page.goto(f"/people/{org.report.pk}/")
    page.get_by_role("link", name="Promotion packet").click()
    expect(page.get_by_role("heading", name="Promotion packet: Remi Report")).to_be_visible()
    # The evidence is against their current level: look at the packet for that one.
    page.get_by_label("Target level", exact=True).select_option("pm")
    page.get_by_role("button", name="Show").click()
    expect(
        page.get_by_text("Took over the billing area and cut churn by 3 points.").first
    ).to_be_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()  # no navigation on paper
    assert page.pdf(format="A4")[:4] == b"%PDF"
    assert page.console_errors == []

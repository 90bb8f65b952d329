"""A manager reviews a report against the next level: a refused share keeps the draft, a
complete one is shared after a confirm step; the report reads it and acknowledges it."""

import re

import pytest
from playwright.sync_api import expect

from assessments.models import Review

from ..assessments.test_reviews import add_evidence
from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_manager_reviews_a_report_who_acknowledges_it(page, org, assert_accessible):
    senior = org.ladder.levels.get(key="senior-pm")
    expectations = list(senior.expectations.active().select_related("category", "level"))
    add_evidence(org, expectations[0], description="Ran the roadmap review for three teams.")

    sign_in(page, "manager")
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.goto(f"/people/{org.report.pk}/reviews/new/")
    expect(page.get_by_role("heading", name="Start a level review of Remi Report")).to_be_visible()
    next_level = page.get_by_role("radio", name=re.compile(r"Senior Product Manager \(L5\): next"))
    expect(next_level).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Start review").click()

    expect(
        page.get_by_text("Review of Remi Report against Senior Product Manager started")
    ).to_be_visible()
    expect(page.get_by_text("Ran the roadmap review for three teams.")).to_be_visible()
    assert_accessible(page)

    # A share refused as incomplete still saves the draft, says what is missing and
    # marks each field still to fill in; a reload keeps everything typed.
    first = page.get_by_label(f"Rating for “{expectations[0].text}”")
    first.select_option(label="Exceeds")
    page.get_by_label(f"Comment for “{expectations[0].text}”").fill("Set the bar for the org.")
    page.get_by_role("button", name="Share with Remi Report").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(
        page.get_by_text(re.compile("Not shared yet. Before sharing it with Remi Report, rate"))
    ).to_be_visible()
    second = page.get_by_label(f"Rating for “{expectations[1].text}”")
    expect(second).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Overall readiness")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_role("link", name="Go to the first field to fill in").click()
    expect(second).to_be_focused()
    page.goto(f"/reviews/{Review.objects.get().pk}/")
    expect(first).to_have_value("exceeds")
    expect(page.get_by_label(f"Comment for “{expectations[0].text}”")).to_have_value(
        "Set the bar for the org."
    )

    for expectation in expectations[1:]:
        page.get_by_label(f"Rating for “{expectation.text}”").select_option(label="Meets")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(second).to_have_value("meets")

    # Sharing a complete draft asks first, naming the person; going back shares nothing.
    page.get_by_label("Overall readiness").select_option(label="Ready")
    page.get_by_label("Summary").fill("Ready for Senior PM: strong strategy and execution.")
    page.get_by_role("button", name="Share with Remi Report").click()
    expect(page.get_by_role("heading", name="Share this review with Remi Report?")).to_be_visible()
    expect(
        page.get_by_text("They will see every rating and comment; it cannot be changed afterwards.")
    ).to_be_visible()
    assert_accessible(page)
    assert Review.objects.get().status == Review.Status.DRAFT
    page.get_by_role("link", name="Back to the draft").first.click()
    expect(page.get_by_label("Summary")).to_have_value(
        "Ready for Senior PM: strong strategy and execution."
    )
    page.get_by_role("button", name="Share with Remi Report").click()
    page.get_by_role("button", name="Confirm and share with Remi Report").first.focus()
    page.keyboard.press("Enter")  # the keyboard alone confirms
    expect(page.get_by_text("Shared with Remi Report.")).to_be_visible()
    expect(page.get_by_text("Waiting for Remi Report to read and acknowledge it.")).to_be_visible()
    assert_accessible(page)
    review = Review.objects.get()
    assert review.status == Review.Status.SHARED
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "report")
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.goto(f"/reviews/{review.pk}/")
    expect(page.get_by_role("heading", name="Your level review")).to_be_visible()
    expect(page.get_by_text("Ready for Senior PM: strong strategy and execution.")).to_be_visible()
    expect(page.get_by_text("Set the bar for the org.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your comment (optional)").fill("Thanks. Keen to take on the pricing area.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("your acknowledgement is recorded")).to_be_visible()
    expect(page.get_by_text("Thanks. Keen to take on the pricing area.")).to_be_visible()
    assert_accessible(page)

    review.refresh_from_db()
    assert review.status == Review.Status.ACKNOWLEDGED
    assert review.acknowledgement == "Thanks. Keen to take on the pricing area."
    assert page.console_errors == []

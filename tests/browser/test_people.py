"""A manager assigns the next level; the report sees it on their own page."""

import re

import pytest
from playwright.sync_api import expect

from ..conftest import place
from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_manager_promotes_a_report_who_then_sees_it(page, org, assert_accessible):
    place(org.ladder, "second", "Sid Second", "apm", manager=org.manager)

    sign_in(page, "manager")
    expect(page).to_have_url(re.compile(r"/me/$"))
    assert_accessible(page)

    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", name="My team")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Remi Report").click()
    expect(page.get_by_role("heading", name="Remi Report")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Assign level").click()
    ic = org.ladder.tracks.get(key="ic")
    senior = org.ladder.levels.get(key="senior-pm")
    expect(page.get_by_label("New level")).to_have_value(f"{ic.pk}:{senior.pk}")
    assert_accessible(page)
    # A rationale is required: the form comes back saying so, the choices kept.
    page.get_by_role("button", name="Assign level").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    expect(page.get_by_label("New level")).to_have_value(f"{ic.pk}:{senior.pk}")
    page.get_by_label("Rationale").fill("Led the pricing relaunch across three teams.")
    page.get_by_role("button", name="Assign level").click()
    expect(page.get_by_text("Remi Report is now Senior Product Manager.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "report")
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("link", name=re.compile("Senior Product Manager · L5"))).to_be_visible()
    expect(page.get_by_text("Led the pricing relaunch across three teams.")).to_be_visible()
    # What changes next, from Senior PM: Staff PM on the IC track, PM Manager on the other.
    expect(page.get_by_role("heading", name=re.compile("Staff Product Manager"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Product Manager Manager"))).to_be_visible()
    assert_accessible(page)
    assert page.console_errors == []


def test_a_manager_reads_the_team_on_a_phone_without_scrolling_sideways(
    page, org, assert_accessible
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "boss")

    page.goto("/team/?scope=all")

    expect(page.get_by_role("link", name="Remi Report")).to_be_visible()
    # Each person's progress towards the next level is on screen, labelled.
    cell = page.locator("td[data-label='Next level']").first
    expect(cell).to_be_visible()
    bounds = cell.bounding_box()
    assert bounds["x"] >= 0
    assert bounds["x"] + bounds["width"] <= 390
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)


def test_a_person_sees_their_readiness_drawn_on_a_phone(page, org, assert_accessible):
    import datetime

    from assessments import evidence as evidence_services
    from levels.models import Expectation

    pm = Expectation.objects.active().filter(level=org.report.level).order_by("id")
    for expectation, observed_on in zip(
        pm[:3],
        [datetime.date(2026, 1, 3), datetime.date(2026, 4, 20), datetime.date(2026, 7, 14)],
        strict=True,
    ):
        evidence_services.record_evidence(
            employee=org.report,
            expectation=expectation,
            by=org.manager.user,
            observed_on=observed_on,
            description="Did it",
            visibility="shared",
        )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "report")
    expect(page).to_have_url(re.compile(r"/me/$"))

    overall = page.get_by_role("progressbar", name="Overall: 3 of 16 shown").first
    expect(overall).to_be_visible()
    timeline = page.get_by_role(
        "img",
        name="Evidence from 3 Jan 2026 to 14 Jul 2026: 6 months 11 days, "
        "the rule asks for 6 months",
    )
    expect(timeline).to_be_visible()
    for element in (overall, timeline):
        bounds = element.bounding_box()
        assert bounds["x"] >= 0
        assert bounds["x"] + bounds["width"] <= 390
    expect(page.get_by_role("link", name=re.compile("^Log a win for this")).first).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    assert page.console_errors == []

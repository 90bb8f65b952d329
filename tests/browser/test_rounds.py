"""A promotion round in the browser: a manager nominates a report, HR closes nominations,
a committee member calibrates and decides, HR finalises, and the person reads the outcome
on their page, not before."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import LevelAssignment
from rounds import services
from rounds.models import Nomination, Round

from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 375, "height": 812}


def switch_to(page, username):
    page.context.clear_cookies()
    sign_in(page, username)


def case_box(page, criterion):
    return page.get_by_role("textbox", name=re.compile(rf"^{criterion.name}\b"))


def fits_a_phone(page):
    page.set_viewport_size(PHONE)
    page.screenshot(full_page=True)  # lays the whole page out at that width
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_round_from_nomination_to_the_persons_outcome(page, org, assert_accessible, mailoutbox):
    today = timezone.localdate()
    round = services.create_round(
        by=org.hr,
        name="H1 promotions",
        nomination_deadline=today,
        calibration_on=today,
        effective_on=today,
        committee=[org.boss.user],
    )
    services.open_nominations(round=round, by=org.hr)

    # The manager nominates Remi, with a case for each criterion.
    sign_in(page, "manager")
    page.goto(f"/people/{org.report.pk}/")
    page.get_by_role("link", name="Nominate for promotion").click()
    expect(page.get_by_role("heading", name="Nominate Remi Report for promotion")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Senior Product Manager"))).to_be_checked()
    assert_accessible(page)
    criteria = list(org.ladder.promotion_criteria.all())
    for criterion in criteria[1:]:
        case_box(page, criterion).fill(f"{criterion.name}: a clear case.")
    page.get_by_role("button", name="Nominate Remi Report").click()
    # One case missing: refused, with everything typed kept.
    first = case_box(page, criteria[0])
    expect(first).to_have_attribute("aria-invalid", "true")
    expect(case_box(page, criteria[1])).to_have_value(f"{criteria[1].name}: a clear case.")
    first.fill("Shipped the pricing launch that lifted conversion by 4%.")
    page.get_by_role("button", name="Nominate Remi Report").click()
    expect(
        page.get_by_text(re.compile("Remi Report is nominated for Senior Product Manager"))
    ).to_be_visible()
    nomination = Nomination.objects.get()

    # HR closes nominations: the packets are frozen.
    switch_to(page, "hr")
    page.goto(f"/rounds/{round.pk}/")
    page.get_by_role("link", name="Close nominations…").click()
    expect(page.get_by_role("heading", name="Close nominations for H1 promotions?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Close nominations").click()
    expect(page.get_by_text(re.compile("Nominations closed: 1 packet frozen"))).to_be_visible()

    # Before the round is finalised, Remi sees nothing of it.
    switch_to(page, "report")
    page.goto("/me/")
    expect(page.get_by_text("H1 promotions")).to_have_count(0)
    assert page.goto(f"/nominations/{nomination.pk}/").status == 404
    page.console_errors.remove(
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    )

    # The boss, on the committee, calibrates and decides.
    switch_to(page, "boss")
    page.goto(f"/rounds/{round.pk}/calibrate/")
    expect(
        page.get_by_role("heading", name="Calibrate: candidates for Senior Product Manager")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Remi Report").first).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)
    page.get_by_role("link", name="Decide on Remi Report").click()
    page.get_by_role("radio", name="Promote").check()
    page.get_by_label("Rationale").fill("Senior scope for two halves, across three teams.")
    page.get_by_label("Feedback for the person").fill("Well earned: keep coaching others.")
    page.get_by_label("Committee notes").fill("Unanimous.")
    assert_accessible(page)
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("Decision saved for Remi Report.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/rounds/{round.pk}/calibrate/"))

    # HR finalises: one promotion, dated the effective date.
    switch_to(page, "hr")
    page.goto(f"/rounds/{round.pk}/")
    page.get_by_role("link", name="Finalise…").click()
    expect(page.get_by_role("heading", name="Finalise H1 promotions?")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)
    page.get_by_role("button", name="Finalise and write 1 promotion").click()
    expect(page.get_by_text(re.compile("Finalised: 1 promotion written"))).to_be_visible()
    assert Round.objects.get().state == Round.State.FINALISED
    latest = LevelAssignment.objects.filter(employee=org.report).first()
    assert (latest.level.key, latest.effective_on) == ("senior-pm", today)
    assert sorted(message.to[0] for message in mailoutbox) == [
        "manager@example.com",
        "report@example.com",
    ]

    # Remi reads the outcome and the feedback on his page; never the committee's notes.
    switch_to(page, "report")
    page.goto("/me/")
    section = page.get_by_role("region", name="Promotion rounds")
    expect(section.get_by_text(re.compile("Promoted to Senior Product Manager"))).to_be_visible()
    expect(section.get_by_text("Well earned: keep coaching others.")).to_be_visible()
    expect(page.get_by_text("Unanimous.")).to_have_count(0)
    assert_accessible(page)
    fits_a_phone(page)
    assert page.console_errors == []


def test_hr_opens_a_round_from_the_rounds_page(page, org, assert_accessible):
    today = timezone.localdate().isoformat()

    sign_in(page, "hr")
    page.get_by_role("link", name="Rounds").click()
    expect(page.get_by_role("heading", name="Promotion rounds")).to_be_visible()
    page.get_by_role("link", name="New round").click()
    assert_accessible(page)
    # The committee starts as the default one: HR and the managers of managers it covers.
    expect(page.get_by_role("checkbox", name=re.compile("managers of managers"))).to_be_checked()
    page.get_by_label("Name").fill("H1 promotions")
    # People are typed by email, with suggestions from their name as one types.
    root = page.get_by_label("Part of the organisation")
    root.fill("Bo")
    suggested = page.locator("#round-root-suggestions option")
    expect(suggested).to_have_count(1)
    expect(suggested).to_have_attribute("value", org.boss.email)
    root.fill(org.boss.email)
    page.get_by_label("Nomination deadline").fill(today)
    page.get_by_label("Calibration date").fill(today)
    page.get_by_label("Effective date").fill("2000-01-01")
    add = page.get_by_label("Add people")
    add.fill("nobody@example.com, Ot")
    expect(page.locator("#round-committee-suggestions option")).to_have_attribute(
        "value", f"nobody@example.com, {org.other_manager.email}"
    )
    add.fill(f"nobody@example.com, {org.other_manager.email}")  # the suggestion, picked
    page.get_by_role("button", name=re.compile("Create")).click()
    # Refused with the reason beside the email, everything typed kept.
    expect(
        page.get_by_text("Nobody who can sign in has the email nobody@example.com.")
    ).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("H1 promotions")
    expect(root).to_have_value(org.boss.email)
    add.fill(org.other_manager.email)
    page.get_by_role("button", name=re.compile("Create")).click()
    # Then with the reason beside the date.
    expect(
        page.get_by_text("Promotions take effect on or after the calibration date.")
    ).to_be_visible()
    expect(add).to_have_value(org.other_manager.email)
    page.get_by_label("Effective date").fill(today)
    page.get_by_role("button", name=re.compile("Create")).click()

    expect(page.get_by_role("heading", name="H1 promotions")).to_be_visible()
    round = Round.objects.get()
    assert round.org_root == org.boss
    assert set(round.committee.all()) == {org.hr, org.boss.user, org.other_manager.user}
    page.get_by_role("link", name="Open nominations…").click()
    assert_accessible(page)
    page.get_by_role("button", name="Open nominations").click()
    expect(page.get_by_role("status").filter(has_text="Nominations are open")).to_be_visible()
    assert Round.objects.get().state == Round.State.NOMINATING
    fits_a_phone(page)

"""Assign level: the suggested job title follows the level picked, until someone types
their own; it is applied only while "Change their job title too" is ticked, and the page
says so in each state, with or without the script (static/js/assign-level.js)."""

import pytest
from playwright.sync_api import expect

from assessments.models import Employee

from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SAVED = (
    "Saved as their job title, replacing “{}”. "
    "Suggested from the level picked; edit it as you like."
)
NOT_APPLIED = "Not applied: tick “Change their job title too” to use this; otherwise"


def title_help(page, state):
    return page.locator(f'#id_job_title_helptext [data-title-help="{state}"]')


def expect_applied(page, current):
    title = page.get_by_label("New job title")
    expect(page.get_by_label("Change their job title too")).to_be_checked()
    expect(title).to_be_editable()
    expect(title).not_to_contain_class("is-not-applied")
    expect(title_help(page, "applied")).to_be_visible()
    expect(title_help(page, "not-applied")).to_be_hidden()
    expect(title).to_have_accessible_description(SAVED.format(current))


def expect_not_applied(page, current):
    title = page.get_by_label("New job title")
    expect(page.get_by_label("Change their job title too")).not_to_be_checked()
    expect(title).not_to_be_editable()  # read-only, and muted
    expect(title).to_contain_class("is-not-applied")
    expect(title_help(page, "not-applied")).to_be_visible()
    expect(title_help(page, "applied")).to_be_hidden()
    expect(title).to_have_accessible_description(f"{NOT_APPLIED} their title stays “{current}”.")


def test_the_suggested_title_follows_the_level_until_someone_types_one(
    page, org, assert_accessible
):
    Employee.objects.filter(pk=org.report.pk).update(job_title="Product Manager, Pricing")
    ic = org.ladder.tracks.get(key="ic")
    staff = org.ladder.levels.get(key="staff-pm")
    apm = org.ladder.levels.get(key="apm")

    sign_in(page, "manager")
    page.goto(f"/people/{org.report.pk}/level/")
    title = page.get_by_label("New job title")
    expect(title).to_have_value("Senior Product Manager, Pricing")
    expect_applied(page, "Product Manager, Pricing")
    assert_accessible(page)

    page.get_by_label("New level").select_option(f"{ic.pk}:{staff.pk}")
    expect(title).to_have_value("Staff Product Manager, Pricing")
    expect_applied(page, "Product Manager, Pricing")  # the box does not follow the level

    title.fill("Staff Product Manager, Pricing and Packaging")
    page.get_by_label("New level").select_option(f"{ic.pk}:{apm.pk}")
    expect(title).to_have_value("Staff Product Manager, Pricing and Packaging")

    page.get_by_label("New level").select_option(f"{ic.pk}:{staff.pk}")
    page.get_by_label("Rationale").fill("Sets pricing strategy across three product lines.")
    page.get_by_role("button", name="Assign level").click()
    expect(
        page.get_by_text("Their job title is now “Staff Product Manager, Pricing and Packaging”.")
    ).to_be_visible()
    org.report.refresh_from_db()
    assert (org.report.level, org.report.job_title) == (
        staff,
        "Staff Product Manager, Pricing and Packaging",
    )
    assert page.console_errors == []


def test_unticked_the_title_reads_as_not_applied_until_ticked(page, org, assert_accessible):
    """Their own title: the box starts unticked, and picking a level never ticks it."""
    ic = org.ladder.tracks.get(key="ic")
    staff = org.ladder.levels.get(key="staff-pm")

    sign_in(page, "manager")
    page.goto(f"/people/{org.report.pk}/level/")
    title = page.get_by_label("New job title")
    expect(title).to_have_value("Senior Product Manager")
    expect_not_applied(page, "Remi Report's title")
    assert_accessible(page)

    page.get_by_label("New level").select_option(f"{ic.pk}:{staff.pk}")
    expect(title).to_have_value("Staff Product Manager")
    expect_not_applied(page, "Remi Report's title")

    page.get_by_label("Change their job title too").check()
    expect_applied(page, "Remi Report's title")
    assert_accessible(page)
    title.fill("Staff Product Manager, Pricing")

    page.get_by_label("Change their job title too").uncheck()
    expect_not_applied(page, "Remi Report's title")
    page.get_by_label("Rationale").fill("Sets pricing strategy across three product lines.")
    page.get_by_role("button", name="Assign level").click()
    expect(page.get_by_text("Remi Report is now Staff Product Manager.")).to_be_visible()
    org.report.refresh_from_db()
    assert (org.report.level, org.report.job_title) == (staff, "Remi Report's title")
    assert page.console_errors == []


def test_without_javascript_the_help_follows_the_box_and_the_title_is_saved(
    chromium, live_server, org
):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    ic = org.ladder.tracks.get(key="ic")
    staff = org.ladder.levels.get(key="staff-pm")
    try:
        sign_in(page, "manager")
        page.goto(f"/people/{org.report.pk}/level/")
        title = page.get_by_label("New job title")
        box = page.get_by_label("Change their job title too")
        expect(box).not_to_be_checked()
        expect(title).to_be_editable()  # ticking the box is all it takes
        expect(title_help(page, "not-applied")).to_be_visible()
        expect(title_help(page, "applied")).to_be_hidden()
        expect(title).to_have_accessible_description(
            f"{NOT_APPLIED} their title stays “Remi Report's title”."
        )

        box.check()
        expect(title_help(page, "applied")).to_be_visible()
        expect(title_help(page, "not-applied")).to_be_hidden()
        expect(title).to_have_accessible_description(SAVED.format("Remi Report's title"))

        # The box still holds the suggestion for Senior PM: saving follows the level.
        page.get_by_label("New level").select_option(f"{ic.pk}:{staff.pk}")
        page.get_by_label("Rationale").fill("Sets pricing strategy across three product lines.")
        page.get_by_role("button", name="Assign level").click()
        expect(page.get_by_text("Their job title is now “Staff Product Manager”.")).to_be_visible()
        org.report.refresh_from_db()
        assert (org.report.level, org.report.job_title) == (staff, "Staff Product Manager")
    finally:
        context.close()

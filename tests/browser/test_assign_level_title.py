"""Assign level: the suggested job title follows the level picked, until someone types
their own (static/js/assign-level.js)."""

import pytest
from playwright.sync_api import expect

from assessments.models import Employee

from .test_browse_ladder import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


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
    expect(page.get_by_label("Change their job title too")).to_be_checked()
    expect(title).to_have_value("Senior Product Manager, Pricing")
    assert_accessible(page)

    page.get_by_label("New level").select_option(f"{ic.pk}:{staff.pk}")
    expect(title).to_have_value("Staff Product Manager, Pricing")

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

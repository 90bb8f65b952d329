"""HR's changes are seen before they reach anyone: a people file with a step-down is
previewed, flagged and confirmed; a ladder is duplicated as a draft, edited and published."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Employee

from .test_ladder_admin import admin_sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HEADER = "email,full_name,job_title,manager_email,ladder,track,level,effective_date,rationale"


def people_file(tmp_path, org):
    """Remi steps down from PM to APM; Tea Mate moves to Otto; Nia is new."""
    today = timezone.localdate().isoformat()
    since = (timezone.localdate() - datetime.timedelta(days=360)).isoformat()
    lines = [
        HEADER,
        f"report@example.com,Remi Report,Associate PM,manager@example.com,"
        f"product-management,ic,apm,{today},Agreed step back while returning part time",
        f"teammate@example.com,Tea Mate,Tea Mate's title,other@example.com,"
        f"product-management,ic,apm,{since},",
        f"nia@example.com,Nia New,Product Manager,manager@example.com,"
        f"product-management,ic,pm,{today},",
    ]
    path = tmp_path / "october.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_hr_previews_a_people_file_with_a_step_down_and_confirms_it(
    page, org, tmp_path, assert_accessible
):
    admin_sign_in(page, "hr")
    page.goto("/admin/assessments/employee/")
    page.get_by_role("link", name="Import people from CSV").click()
    expect(page.get_by_role("link", name="Download a template file")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(people_file(tmp_path, org)))
    page.get_by_role("button", name="Upload and preview").click()

    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("1 person to create, 2 people to change")
    expect(summary).to_contain_text("1 step-down")
    step_down = page.locator("tr.people-step-down")
    expect(step_down).to_contain_text("Remi Report")
    expect(step_down).to_contain_text("Agreed step back while returning part time")
    expect(page.locator("#section-changed")).to_contain_text("Manager change")
    expect(page.locator("#section-created")).to_contain_text("Nia New")
    assert_accessible(page)
    assert Employee.objects.get(email="report@example.com").level.key == "pm"

    # Confirming without the step-down box writes nothing and says why.
    page.get_by_role("button", name="Import these changes").click()
    expect(page.locator("#import-problems")).to_contain_text("would step down from Product Manager")
    assert Employee.objects.get(email="report@example.com").level.key == "pm"

    page.get_by_label("Yes, apply the step-downs listed above").check()
    page.get_by_role("button", name="Import these changes").click()
    # The import ran as a task; its page says what it did and leads on to the people.
    expect(page.locator(".job-message")).to_contain_text(
        "Imported october.csv. Created 1, updated 2, unchanged 0."
    )
    assert_accessible(page)
    expect(page.get_by_role("link", name="See everyone")).to_be_visible()
    remi = Employee.objects.get(email="report@example.com")
    assert remi.level.key == "apm"
    assert remi.assignments.first().rationale == "Agreed step back while returning part time"
    assert Employee.objects.get(email="teammate@example.com").manager == org.other_manager

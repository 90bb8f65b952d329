"""A background task's page follows the task: the bar moves as the worker reports, and the
outcome appears when it ends, without HR reloading the page."""

import pytest
from playwright.sync_api import expect

from jobs.models import Job

from .test_ladder_admin import admin_sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_task_page_follows_the_task_to_its_outcome(page, org, assert_accessible):
    job = Job.objects.create(
        kind=Job.Kind.PEOPLE_IMPORT,
        title="Import march.csv",
        requested_by=org.hr,
        status=Job.Status.RUNNING,
        stage="Checking rows",
        done=1000,
        total=10000,
    )
    admin_sign_in(page, "hr")
    page.goto(job.get_absolute_url())
    state = page.locator("#job-state")
    expect(state).to_have_text("Checking rows: 1,000 of 10,000 (10%)")
    assert_accessible(page)

    Job.objects.filter(pk=job.pk).update(stage="Writing people", done=3, total=4)
    expect(state).to_have_text("Writing people: 3 of 4 (75%)")
    expect(page.locator("#job-bar")).to_have_attribute("value", "75")

    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        message="Imported march.csv. Created 3, updated 0, unchanged 0.",
        result_url="/admin/assessments/employee/",
        result_label="See everyone",
    )
    expect(page.locator(".job-message")).to_have_text(
        "Imported march.csv. Created 3, updated 0, unchanged 0."
    )
    page.get_by_role("link", name="See everyone").click()
    expect(page).to_have_url("/admin/assessments/employee/")
    assert page.console_errors == []

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


def test_a_long_file_goes_from_its_preview_task_to_the_preview_and_imports(
    page, org, settings, tmp_path, assert_accessible
):
    from tests.assessments.test_import_people import csv_of, person

    settings.PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST = 2  # so that three people make a long file
    people = tmp_path / "march.csv"
    people.write_bytes(
        csv_of(
            [
                person(f"new{number}@example.com", f"New Person {number}", manager="")
                for number in range(3)
            ]
        )
    )
    admin_sign_in(page, "hr")
    page.goto("/admin/assessments/employee/import/")
    page.get_by_label("CSV file").set_input_files(people)
    page.get_by_role("button", name="Upload and preview").click()

    # The task's page opens the preview once the task is done (here, at once).
    expect(page.locator("#import-summary")).to_contain_text("3 people to create")
    expect(
        page.get_by_role("link", name="Download the whole preview as a CSV file")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Import these changes").click()

    expect(page.locator(".job-message")).to_have_text(
        "Imported march.csv. Created 3, updated 0, unchanged 0."
    )
    assert page.console_errors == []

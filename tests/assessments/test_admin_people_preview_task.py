"""A long people file in the admin: its preview is made by a background task, whose page
opens the preview when it is done; the preview shows every count and the first people of
each list, with the whole of it as a file; confirming it keeps every check of a short
file's (a newer preview: 409; a step-down without its box: 400; the import checks again
and writes all or nothing)."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import jobs as people_jobs
from assessments.models import Employee, PeopleImport
from jobs.models import Job

from ..factories import UserFactory, make_hr_user
from .test_admin_import import CHANGELIST_URL, IMPORT_URL, upload
from .test_admin_people_preview import step_down_file
from .test_import_people import csv_of, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def long_files(settings):
    """Files of more than two people count as long."""
    settings.PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST = 2


def preview_url(pk):
    return reverse("admin:assessments_employee_import_preview", args=[pk])


def download_url(job):
    return reverse("admin:jobs_job_download", args=[job.pk])


def upload_long(client, content, name="people.csv"):
    """Upload a long file as HR does and follow the task's page to the preview."""
    return client.post(IMPORT_URL, {"file": upload(content, name)}, follow=True)


def new_people(count):
    return [
        person("ana@example.com", "Ana Boss", track="management", level="director"),
        *(
            person(f"p{number:03}@example.com", f"Person {number:03}", manager="ana@example.com")
            for number in range(count - 1)
        ),
    ]


def previews():
    return Job.objects.filter(kind=Job.Kind.PEOPLE_PREVIEW).order_by("id")


def test_a_long_file_is_previewed_by_a_task_whose_page_opens_the_preview(hr, team):
    rows = [*team, person("dee@example.com", "Dee New", manager="ana@example.com")]
    rows[2] = {**rows[2], "manager_email": "ana@example.com"}

    response = upload_long(hr, csv_of(rows), "march.csv")

    job = previews().get()
    kept = PeopleImport.objects.get()
    assert response.redirect_chain == [
        (job.get_absolute_url(), 302),
        (preview_url(kept.pk), 302),
    ]
    assert response.status_code == 200
    assert (job.title, job.requested_by, job.status) == (
        "Preview march.csv",
        hr.user,
        Job.Status.SUCCEEDED,
    )
    text = response.text
    assert "1 person to create, 1 person to change, 2 unchanged (1 manager change)" in text
    assert 'id="section-created"' in text
    assert "Dee New" in text
    assert f'href="{download_url(job)}" download>' in text
    assert "preview-of-march.csv" in text
    assert 'name="invite"' in text
    assert 'name="allow_step_down"' not in text
    assert set(kept.shown) == {"dee@example.com", "cy@example.com"}
    assert Employee.objects.count() == 3  # nothing written


def test_the_preview_shows_the_first_people_of_each_list_and_every_count(
    hr, default_ladder, monkeypatch
):
    monkeypatch.setattr(people_jobs, "TASK_PREVIEW_ROWS_SHOWN", 2)

    response = upload_long(hr, csv_of(new_people(5)))

    text = response.text
    assert "New people (5)" in text
    assert "The first 2 of 5 are shown; the import creates them all." in text
    assert "Ana Boss" in text
    assert "Person 000" in text
    assert "Person 001" not in text
    assert "Person 003" not in text
    assert "5 people to create" in text


def test_the_whole_preview_downloads_as_a_file(hr, default_ladder, monkeypatch):
    monkeypatch.setattr(people_jobs, "TASK_PREVIEW_ROWS_SHOWN", 2)
    upload_long(hr, csv_of(new_people(5)), "march.csv")

    response = hr.get(download_url(previews().get()))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="preview-of-march.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["what"], row["row"], row["email"]) for row in rows] == [
        ("new", "2", "ana@example.com"),
        *(("new", str(n + 3), f"p{n:03}@example.com") for n in range(4)),
    ]
    assert rows[1]["changes"].startswith("Job title: PM; Manager: Ana Boss <ana@example.com>")


def test_the_file_lists_changes_flags_and_people_left_out(hr, team):
    rows = list(step_down_file(team).decode().splitlines())
    content = "\n".join(line for line in rows if not line.startswith("cy@")).encode()
    content += b"\n" + csv_of([person("dee@example.com", "=Dee")]).splitlines()[1]

    upload_long(hr, content)
    text = hr.get(download_url(previews().get())).content.decode()

    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["what"], row["email"], row["flags"]) for row in rows] == [
        ("new", "dee@example.com", ""),
        ("changed", "ben@example.com", "step-down"),
        ("left alone", "cy@example.com", ""),
    ]
    assert rows[0]["full_name"] == "'=Dee"  # no spreadsheet runs it as a formula
    assert "Level: Senior Product Manager → Associate Product Manager" in rows[1]["changes"]


def test_confirming_a_long_file_imports_it_and_forgets_the_preview(hr, default_ladder):
    response = upload_long(hr, csv_of(new_people(4)))
    preview = response.context["preview"]

    done = hr.post(
        preview_url(PeopleImport.objects.get().pk),
        {"fingerprint": preview.fingerprint},
        follow=True,
    )

    job = Job.objects.get(kind=Job.Kind.PEOPLE_IMPORT)
    assert done.redirect_chain == [(job.get_absolute_url(), 302)]
    assert "Imported people.csv. Created 4, updated 0, unchanged 0." in done.text
    assert Employee.objects.count() == 4
    assert PeopleImport.objects.get().applied_at is not None
    kept = previews().get()
    assert (kept.result, kept.output, kept.output_name) == ({}, "", "")
    assert hr.get(download_url(kept)).status_code == 404


def test_a_step_down_needs_its_box_ticked(hr, team):
    response = upload_long(hr, step_down_file(team))
    url, fingerprint = (
        preview_url(PeopleImport.objects.get().pk),
        response.context["preview"].fingerprint,
    )
    assert 'class="people-step-down"' in response.text
    assert 'name="allow_step_down"' in response.text

    refused = hr.post(url, {"fingerprint": fingerprint})

    assert refused.status_code == 400
    assert "Ben Lead would step down from Senior Product Manager" in refused.text
    assert 'href="#id_allow_step_down"' in refused.text
    assert not Job.objects.filter(kind=Job.Kind.PEOPLE_IMPORT).exists()

    hr.post(url, {"fingerprint": fingerprint, "allow_step_down": "on"})

    assert Employee.objects.get(email="ben@example.com").level.key == "apm"


def test_a_long_list_of_step_downs_is_cut_short(hr, team, monkeypatch):
    monkeypatch.setattr(people_jobs, "TASK_PREVIEW_ROWS_SHOWN", 1)
    rows = [
        {**row, "level": "apm", "effective_date": timezone.localdate().isoformat()}
        if row["email"] == "ben@example.com"
        else {**row, "level": "senior-pm", "track": "ic"}
        if row["email"] == "ana@example.com"
        else row
        for row in team
    ]
    response = upload_long(hr, csv_of(rows))

    refused = hr.post(
        preview_url(PeopleImport.objects.get().pk),
        {"fingerprint": response.context["preview"].fingerprint},
    )

    assert refused.status_code == 400
    assert "and 1 more step-downs, listed in the preview&#x27;s file" in refused.text


def test_a_confirmation_of_an_older_preview_shows_the_newer_with_409(hr, team):
    response = upload_long(hr, step_down_file(team))

    stale = hr.post(
        preview_url(PeopleImport.objects.get().pk),
        {"fingerprint": "0" * 64, "allow_step_down": "on"},
    )

    assert stale.status_code == 409
    assert "People changed after your preview, so nothing was imported." in stale.text
    assert stale.context["preview"].fingerprint == response.context["preview"].fingerprint
    assert not Job.objects.filter(kind=Job.Kind.PEOPLE_IMPORT).exists()
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"


def test_people_changed_before_the_import_ran_make_a_new_preview(hr, team):
    rows = [
        {**row, "job_title": "Lead"}
        if row["email"] in {"ben@example.com", "cy@example.com"}
        else row
        for row in team
    ]
    response = upload_long(hr, csv_of(rows))
    url = preview_url(PeopleImport.objects.get().pk)
    Employee.objects.filter(email="cy@example.com").update(job_title="Lead")  # meanwhile
    Employee.objects.filter(email="ana@example.com").update(job_title="Chief")

    failed = hr.post(url, {"fingerprint": response.context["preview"].fingerprint}, follow=True)

    job = Job.objects.get(kind=Job.Kind.PEOPLE_IMPORT)
    assert job.status == Job.Status.FAILED
    assert "changed after your preview, so nothing was imported" in failed.text
    assert Employee.objects.get(email="ben@example.com").job_title == "PM"
    _first, again = previews()
    assert again.title == "Preview people.csv again"
    again_page = hr.get(url)
    assert again_page.status_code == 200
    assert "People changed after your preview, so nothing was imported." in again_page.text
    changed = {c.email: c.changed_since for c in again_page.context["preview"].updated}
    assert changed == {"ana@example.com": True, "ben@example.com": False}
    assert "No longer changed by the file: cy@example.com." in again_page.text

    hr.post(url, {"fingerprint": again_page.context["preview"].fingerprint})

    assert Employee.objects.get(email="ben@example.com").job_title == "Lead"
    assert Employee.objects.get(email="ana@example.com").job_title == "PM"


def test_a_long_file_with_problems_fails_its_preview_with_every_problem(hr, default_ladder):
    rows = new_people(4)
    rows[1]["level"] = "astronaut"
    rows[2]["manager_email"] = "ghost@example.com"

    response = upload_long(hr, csv_of(rows))

    job = previews().get()
    assert response.redirect_chain == [(job.get_absolute_url(), 302)]
    assert job.status == Job.Status.FAILED
    assert "row 3, level: unknown level" in job.message
    assert "row 4, manager_email: nobody has the email" in job.message
    assert f'href="{IMPORT_URL}">Upload a file</a>' in response.text
    again = hr.get(preview_url(PeopleImport.objects.get().pk))
    assert again.url == job.get_absolute_url()  # the preview page points at why
    assert Employee.objects.count() == 0


def test_a_preview_still_running_is_followed_on_its_task_page(hr, default_ladder):
    upload_long(hr, csv_of(new_people(4)))
    job = previews().get()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, result={})

    page = hr.get(preview_url(PeopleImport.objects.get().pk))
    follow = hr.get(job.get_absolute_url())

    assert page.url == job.get_absolute_url()
    assert follow.status_code == 200
    assert "data-status-url" in follow.text


def test_a_preview_whose_task_was_removed_is_made_again(hr, default_ladder):
    upload_long(hr, csv_of(new_people(4)))
    previews().delete()

    page = hr.get(preview_url(PeopleImport.objects.get().pk), follow=True)

    assert page.status_code == 200
    assert "4 people to create" in page.text
    assert previews().count() == 1


def test_an_expired_upload_forgets_its_preview(hr, default_ladder):
    upload_long(hr, csv_of(new_people(4)))
    PeopleImport.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))

    upload_long(hr, csv_of(new_people(3)))

    old, new = previews()
    assert (old.result, old.output) == ({}, "")
    assert new.result["counts"]["created"] == 3
    assert PeopleImport.objects.count() == 1


def test_another_hr_person_sees_the_task_but_neither_the_preview_nor_its_file(
    hr, default_ladder, client
):
    upload_long(hr, csv_of(new_people(4)))
    job, url = previews().get(), preview_url(PeopleImport.objects.get().pk)
    colleague = make_hr_user()
    client.force_login(colleague)

    task_page = client.get(job.get_absolute_url())

    assert task_page.status_code == 200  # no redirect: the preview is not theirs
    assert "Done." in task_page.text
    assert client.get(url).status_code == 404
    assert client.post(url, {"fingerprint": job.result["fingerprint"]}).status_code == 404
    assert client.get(download_url(job)).status_code == 404
    assert Employee.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "staff", "manager", "report"])
def test_nobody_but_hr_reaches_a_long_preview(hr, org, client, who):
    upload_long(hr, csv_of(new_people(4)))
    job, url = previews().get(), preview_url(PeopleImport.objects.get().pk)
    client.logout()
    if who == "staff":
        client.force_login(UserFactory(username="staff", is_staff=True))
    elif who != "anonymous":
        client.force_login(getattr(org, who).user)

    for address in (url, job.get_absolute_url(), download_url(job)):
        response = client.get(address)
        assert response.status_code in {302, 403}, address
        if response.status_code == 302:
            assert "/login/" in response.url


def test_the_preview_page_costs_the_same_queries_for_4_people_as_for_40(hr, default_ladder):
    def queries(count):
        upload_long(hr, csv_of(new_people(count)))
        url = preview_url(PeopleImport.objects.latest("id").pk)
        with CaptureQueriesContext(connection) as captured:
            assert hr.get(url).status_code == 200
        return len(captured)

    assert queries(4) == queries(40)


def test_after_the_import_the_preview_points_to_the_list(hr, default_ladder):
    response = upload_long(hr, csv_of(new_people(3)))
    url = preview_url(PeopleImport.objects.get().pk)
    hr.post(url, {"fingerprint": response.context["preview"].fingerprint})

    after = hr.get(previews().get().get_absolute_url(), follow=True)

    assert after.redirect_chain[-1] == (CHANGELIST_URL, 302)
    assert "was imported already" in after.text

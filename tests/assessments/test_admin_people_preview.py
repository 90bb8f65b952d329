"""The people import in the admin: upload, preview, confirm; the export and the template."""

import csv
import datetime
import io

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import peoplefile
from assessments.models import Employee, LevelAssignment, PeopleImport
from jobs.models import Job

from ..factories import UserFactory, make_hr_user
from .test_admin_import import CHANGELIST_URL, IMPORT_URL, import_file, preview_url, upload
from .test_import_people import csv_of, days_ago, person, small_team

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("admin:assessments_employee_export")
TEMPLATE_URL = reverse("admin:assessments_employee_template")


def step_down_file(rows):
    return csv_of(
        [
            {**row, "level": "apm", "effective_date": days_ago(0).isoformat()}
            if row["email"] == "ben@example.com"
            else row
            for row in rows
        ]
    )


def test_uploading_shows_the_preview_and_writes_nothing_but_the_upload(hr, team):
    rows = [
        *team,
        person("dee@example.com", "Dee New", manager="ana@example.com"),
    ]
    rows[2] = {**rows[2], "manager_email": "ana@example.com"}
    before = (Employee.objects.count(), LevelAssignment.objects.count())

    response = hr.post(IMPORT_URL, {"file": upload(csv_of(rows), "march.csv")}, follow=True)

    assert response.status_code == 200
    assert (Employee.objects.count(), LevelAssignment.objects.count()) == before
    kept = PeopleImport.objects.get()
    assert (kept.file_name, kept.uploaded_by, kept.applied_at) == ("march.csv", hr.user, None)
    text = response.text
    assert "Importing <strong>march.csv</strong> would make these changes" in text
    assert "1 person to create, 1 person to change, 2 unchanged (1 manager change)" in text
    assert 'id="section-changed"' in text
    assert 'id="section-created"' in text
    assert "Manager change" in text
    assert "Dee New" in text
    assert 'name="allow_step_down"' not in text  # no step-down, no box
    assert 'name="invite"' in text


def test_a_step_down_is_flagged_and_needs_the_box_ticked(hr, team):
    response = hr.post(IMPORT_URL, {"file": upload(step_down_file(team))}, follow=True)

    assert response.status_code == 200
    assert "1 step-down" in response.text
    assert 'class="people-step-down"' in response.text
    assert 'name="allow_step_down"' in response.text
    assert 'name="invite"' not in response.text  # nobody new to invite
    url, fingerprint = preview_url(response), response.context["preview"].fingerprint

    refused = hr.post(url, {"fingerprint": fingerprint})

    assert refused.status_code == 400
    assert "Ben Lead would step down from Senior Product Manager" in refused.text
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"

    done = hr.post(url, {"fingerprint": fingerprint, "allow_step_down": "on"}, follow=True)

    job = Job.objects.get()  # the import runs as a task, whose page follows it
    assert done.redirect_chain == [(job.get_absolute_url(), 302)]
    assert job.title == "Import people.csv"
    assert "Imported people.csv. Created 0, updated 1, unchanged 2." in done.text
    assert f'href="{CHANGELIST_URL}">See everyone</a>' in done.text
    ben = Employee.objects.get(email="ben@example.com")
    assert ben.level.key == "apm"
    assert ben.assignments.first().rationale == "Imported from people.csv by Hana Reyes."
    assert PeopleImport.objects.get().applied_at is not None


def test_a_change_after_the_preview_shows_the_new_preview_with_409(hr, team):
    rows = [
        {**row, "job_title": "Lead"} if row["email"] == "cy@example.com" else row for row in team
    ]
    response = hr.post(IMPORT_URL, {"file": upload(csv_of(rows))}, follow=True)
    Employee.objects.filter(email="cy@example.com").update(job_title="Lead")  # meanwhile

    stale = hr.post(preview_url(response), {"fingerprint": response.context["preview"].fingerprint})

    assert stale.status_code == 409
    assert "People changed after your preview, so nothing was imported." in stale.text
    assert stale.context["preview"].unchanged == 3
    assert "importing it would change nothing" in stale.text
    assert PeopleImport.objects.get().applied_at is None


def test_a_matching_file_offers_nothing_to_confirm(hr, team):
    response = hr.post(IMPORT_URL, {"file": upload(csv_of(team))}, follow=True)

    assert response.status_code == 200
    assert "importing it would change nothing" in response.text
    assert "Import these changes" not in response.text


def test_the_preview_reopens_until_confirmed_then_points_to_the_list(hr, team):
    response = hr.post(IMPORT_URL, {"file": upload(step_down_file(team))}, follow=True)
    url = preview_url(response)

    again = hr.get(url)

    assert again.status_code == 200
    assert again.context["preview"].fingerprint == response.context["preview"].fingerprint
    hr.post(url, {"fingerprint": again.context["preview"].fingerprint, "allow_step_down": "on"})

    after = hr.get(url, follow=True)

    assert after.redirect_chain == [(CHANGELIST_URL, 302)]
    assert "The file people.csv was imported already: Created 0, updated 1, unchanged 2." in (
        after.text
    )


def test_an_old_preview_has_expired(hr, team):
    response = hr.post(IMPORT_URL, {"file": upload(step_down_file(team))}, follow=True)
    PeopleImport.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))

    expired = hr.post(
        preview_url(response),
        {"fingerprint": response.context["preview"].fingerprint, "allow_step_down": "on"},
        follow=True,
    )

    assert expired.redirect_chain == [(IMPORT_URL, 302)]
    assert "The preview of people.csv has expired; nothing was changed." in expired.text
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"


def test_nobody_else_opens_or_confirms_an_upload(hr, team, client):
    response = hr.post(IMPORT_URL, {"file": upload(step_down_file(team))}, follow=True)
    url = preview_url(response)
    data = {"fingerprint": response.context["preview"].fingerprint, "allow_step_down": "on"}

    client.force_login(make_hr_user())

    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"


def test_an_altered_fingerprint_is_refused(hr, team):
    response = hr.post(IMPORT_URL, {"file": upload(step_down_file(team))}, follow=True)

    stale = hr.post(preview_url(response), {"fingerprint": "0" * 64, "allow_step_down": "on"})

    assert stale.status_code == 409
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"


def test_a_confirmation_without_a_fingerprint_is_a_form_error(hr, team):
    response = hr.post(IMPORT_URL, {"file": upload(step_down_file(team))}, follow=True)

    refused = hr.post(preview_url(response), {})

    assert refused.status_code == 400
    assert Employee.objects.get(email="ben@example.com").level.key == "senior-pm"


def test_the_preview_costs_the_same_queries_for_3_people_as_for_30(hr, default_ladder):
    def queries(rows):
        with CaptureQueriesContext(connection) as captured:
            response = hr.post(IMPORT_URL, {"file": upload(csv_of(rows))}, follow=True)
        assert response.status_code == 200
        return len(captured)

    few = queries(small_team())
    many = queries(
        [
            *small_team(),
            *(
                person(f"p{n}@example.com", manager="ana@example.com", level="apm")
                for n in range(27)
            ),
        ]
    )

    assert many == few


def test_the_whole_journey_through_the_helper_still_imports(hr):
    response = import_file(hr, csv_of(small_team()))

    assert "Created 3, updated 0, unchanged 0." in response.text


# Export and template ---------------------------------------------------------------------


def export(hr):
    """Export from the admin as HR does: the export page, its button, the task's page with
    the file to download; return the task's page and the file's response."""
    page = hr.post(EXPORT_URL, follow=True)
    job = Job.objects.get(kind=Job.Kind.PEOPLE_EXPORT)
    download = reverse("admin:jobs_job_download", args=[job.pk])
    assert f'href="{download}" download>' in page.text
    return page, hr.get(download)


def test_hr_exports_everyone_as_a_people_file(hr, team):
    start = hr.get(EXPORT_URL)
    assert "Export everyone active (3 people)" in start.text

    page, response = export(hr)

    assert "Exported 3 people." in page.text
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="people-')
    text = response.content.decode()
    emails = [row["email"] for row in csv.DictReader(io.StringIO(text))]
    assert emails == ["ana@example.com", "ben@example.com", "cy@example.com"]
    assert f'href="{EXPORT_URL}"' in hr.get(CHANGELIST_URL).text


def test_with_nobody_to_export_the_page_says_what_to_do(hr, default_ladder):
    page = hr.get(EXPORT_URL)
    assert "There is nobody to export yet." in page.text
    assert 'value="Export people"' not in page.text


def test_the_exported_file_imports_back_through_the_admin_unchanged(hr, team):
    text = export(hr)[1].content

    response = hr.post(IMPORT_URL, {"file": upload(text)}, follow=True)

    assert response.status_code == 200
    assert not response.context["preview"].has_changes


def test_hr_downloads_the_template(hr):
    response = hr.get(TEMPLATE_URL)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="people-template.csv"'
    assert response.text.splitlines()[0] == ",".join(peoplefile.ALL_COLUMNS)


@pytest.mark.parametrize(
    ("codenames", "export", "template"),
    [
        (("view_employee",), 200, 403),
        (("view_employee", "add_employee"), 200, 200),
        (("change_employee",), 200, 403),  # change implies view
        (("view_ladder",), 403, 403),
    ],
)
def test_export_and_template_follow_the_admin_permissions(
    client, team, codenames, export, template
):
    client.force_login(make_hr_user(*codenames))

    assert client.get(EXPORT_URL).status_code == export
    assert client.get(TEMPLATE_URL).status_code == template


@pytest.mark.parametrize("url", [EXPORT_URL, TEMPLATE_URL, f"{IMPORT_URL}1/"])
def test_people_who_are_not_staff_are_sent_to_sign_in(client, team, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# What an import leaves behind -------------------------------------------------------------


def test_each_person_changed_or_created_gets_an_entry_in_their_history(hr, team):
    rows = [
        {**row, "full_name": "Ana Chief", "rationale": "Name fix only"}
        if row["email"] == "ana@example.com"
        else {**row, "rationale": ""}
        for row in team
    ]
    rows.append(
        {**person("dee@example.com", "Dee New", manager="ana@example.com"), "rationale": ""}
    )
    header = ",".join([*peoplefile.COLUMNS, "rationale"])
    import_file(hr, csv_of(rows, header=header), name="march.csv")

    ana = Employee.objects.get(email="ana@example.com")
    entry = LogEntry.objects.get(object_id=str(ana.pk))
    assert (entry.user, entry.action_flag) == (hr.user, CHANGE)
    assert entry.change_message == "Changed name from march.csv. Why: Name fix only"
    dee = Employee.objects.get(email="dee@example.com")
    assert LogEntry.objects.get(object_id=str(dee.pk)).change_message == "Added from march.csv."
    history = hr.get(reverse("admin:assessments_employee_history", args=[ana.pk]))
    assert "Changed name from march.csv. Why: Name fix only" in history.text
    assert LogEntry.objects.count() == 2  # nobody unchanged is logged


def test_people_whose_level_changes_are_emailed_unless_unticked(
    hr, team, mailoutbox, django_capture_on_commit_callbacks
):
    rows = [
        {**row, "level": "pm", "effective_date": days_ago(0).isoformat()}
        if row["email"] == "cy@example.com"
        else row
        for row in team
    ]
    preview = hr.post(IMPORT_URL, {"file": upload(csv_of(rows))}, follow=True)
    assert 'name="notify"' in preview.text
    assert preview.context["form"]["notify"].value()  # ticked to begin with

    with django_capture_on_commit_callbacks(execute=True):
        hr.post(
            preview_url(preview),
            {"fingerprint": preview.context["preview"].fingerprint, "notify": "on"},
        )

    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("ben@example.com", "Cy Junior is now Product Manager"),
        ("cy@example.com", "Your level is now Product Manager"),
    ]
    assert "Imported from people.csv by Hana Reyes." in mailoutbox[0].body


def test_nobody_is_emailed_when_the_box_is_unticked(
    hr, team, mailoutbox, django_capture_on_commit_callbacks
):
    rows = [
        {**row, "level": "pm", "effective_date": days_ago(0).isoformat()}
        if row["email"] == "cy@example.com"
        else row
        for row in team
    ]

    with django_capture_on_commit_callbacks(execute=True):
        import_file(hr, csv_of(rows))

    assert Employee.objects.get(email="cy@example.com").level.key == "pm"
    assert mailoutbox == []


def test_a_stale_preview_points_out_who_changed_since(hr, team):
    rows = [
        {**row, "job_title": "Lead"}
        if row["email"] in {"ben@example.com", "cy@example.com"}
        else row
        for row in team
    ]
    response = hr.post(IMPORT_URL, {"file": upload(csv_of(rows))}, follow=True)
    Employee.objects.filter(email="cy@example.com").update(job_title="Lead")
    Employee.objects.filter(email="ana@example.com").update(job_title="Chief")

    stale = hr.post(preview_url(response), {"fingerprint": response.context["preview"].fingerprint})

    assert stale.status_code == 409
    changed = {c.email: c.changed_since for c in stale.context["preview"].updated}
    assert changed == {"ana@example.com": True, "ben@example.com": False}
    assert stale.context["preview"].settled == ["cy@example.com"]
    assert "Changed since your preview" in stale.text
    assert "No longer changed by the file: cy@example.com." in stale.text


def test_a_refused_step_down_points_at_the_box(hr, team):
    response = hr.post(IMPORT_URL, {"file": upload(step_down_file(team))}, follow=True)

    refused = hr.post(
        preview_url(response), {"fingerprint": response.context["preview"].fingerprint}
    )

    assert 'href="#id_allow_step_down"' in refused.text


def test_the_people_list_filters_only_by_places_someone_is_on(hr, team):
    from levels import services as ladders

    ladders.duplicate_ladder(ladder=team_ladder(), slug="pm-copy", name="PM copy")

    response = hr.get(CHANGELIST_URL)

    (spec,) = [spec for spec in response.context["cl"].filter_specs if spec.title == "level"]
    assert sorted(title for _, title in spec.lookup_choices) == [
        "Associate Product Manager",
        "Director of Product",
        "Senior Product Manager",
    ]


def team_ladder():
    return Employee.objects.first().ladder


def test_the_people_list_shows_each_place_in_one_narrow_column(hr, team):
    response = hr.get(CHANGELIST_URL)

    assert "Senior PM · Individual Contributor" in response.text
    assert "Director · Management" in response.text

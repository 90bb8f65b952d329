"""The people admin: the CSV import page, and the change form's rules."""

import datetime
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from assessments import peoplefile
from assessments.models import Employee, LevelAssignment
from assessments.selectors import HR_GROUP
from jobs import runner
from jobs.models import Job

from ..factories import UserFactory, make_hr_user
from .test_import_people import csv_of, person, small_team

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/assessments/employee/import/"
CHANGELIST_URL = "/admin/assessments/employee/"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "admin" / "assessments"


@pytest.fixture
def hr_user(default_ladder):
    user = UserFactory(username="hana", is_staff=True)
    user.groups.add(Group.objects.get(name=HR_GROUP))
    return user


@pytest.fixture
def hr_client(client, hr_user):
    client.force_login(hr_user)
    return client


def upload(content, name="people.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def import_file(client, content, *, name="people.csv", follow=True, **confirm):
    """Upload `content`, open its preview and confirm it, as HR does; the last response."""
    preview = client.post(IMPORT_URL, {"file": upload(content, name)}, follow=True)
    assert preview.status_code == 200, preview.content[:2000]
    data = {"fingerprint": preview.context["preview"].fingerprint, **confirm}
    return client.post(preview_url(preview), data, follow=follow)


def preview_url(response):
    return reverse(
        "admin:assessments_employee_import_preview", args=[response.context["upload"].pk]
    )


def bad_file():
    rows = small_team()
    rows[1]["level"] = "astronaut"
    rows[2]["manager_email"] = "ghost@example.com"
    return csv_of(rows)


def staff_with(*codenames):
    """HR staff whose group holds only these permissions."""
    return make_hr_user(*codenames)


# The import page --------------------------------------------------------------------------


def test_the_import_url_is_named():
    assert reverse("admin:assessments_employee_import") == IMPORT_URL


def test_hr_finds_the_import_from_the_people_list(hr_client):
    response = hr_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert f'href="{IMPORT_URL}"' in response.text
    assert "Import people from CSV" in response.text


def test_the_import_page_offers_a_file_a_template_and_an_export(hr_client):
    response = hr_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.text
    assert re.search(r'<input type="file" name="file"[^>]*required', response.text)
    assert f'href="{IMPORT_URL}template/"' in response.text
    assert 'href="/admin/assessments/employee/export/"' in response.text
    assert "email,full_name,job_title,manager_email,ladder,track,level,effective_date" in (
        response.text
    )


def test_the_templates_have_no_inline_styles_or_scripts():
    """The site's Content-Security-Policy allows neither."""
    templates = list(TEMPLATES.rglob("*.html"))
    assert len(templates) == 6
    for template in templates:
        text = template.read_text()
        assert not re.search(r"style=|<style|<script|\son[a-z]+=", text, re.IGNORECASE), template


def test_hr_imports_a_good_file(hr_client, hr_user):
    response = import_file(hr_client, csv_of(small_team()))

    job = Job.objects.get()  # a task wrote them; its page says what it did
    assert response.redirect_chain == [(job.get_absolute_url(), 302)]
    assert job.status == Job.Status.SUCCEEDED
    assert "Imported people.csv. Created 3, updated 0, unchanged 0." in response.text
    assert Employee.objects.count() == 3
    assert set(LevelAssignment.objects.values_list("assigned_by", flat=True)) == {hr_user.pk}


def test_a_bad_file_lists_every_problem_and_writes_nothing(hr_client):
    response = hr_client.post(IMPORT_URL, {"file": upload(bad_file())}, follow=True)

    assert response.status_code == 400
    assert "people.csv was not imported and nothing was changed." in response.text
    problems = re.findall(r"<li>(row .*?)</li>", response.text)
    assert problems == [
        "row 3, level: unknown level &#x27;astronaut&#x27; in ladder "
        "&#x27;product-management&#x27;",
        "row 4, manager_email: nobody has the email &#x27;ghost@example.com&#x27;, in this "
        "file or among the people already here",
    ]
    assert Employee.objects.count() == 0
    assert LevelAssignment.objects.count() == 0


def test_a_file_too_big_is_refused_before_reading(hr_client, settings):
    settings.PEOPLE_FILE_MAX_BYTES = 50

    response = hr_client.post(IMPORT_URL, {"file": upload(csv_of(small_team()))})

    assert response.status_code == 400
    assert "people files may be at most 50 bytes" in response.text
    assert Employee.objects.count() == 0


def test_a_file_of_more_people_than_the_request_limit_is_previewed_by_a_task(hr_client, settings):
    settings.PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST = 2
    content = csv_of(small_team()).replace(b"\nben@", b"\n,,,,,,,\nben@")  # a blank row

    response = hr_client.post(IMPORT_URL, {"file": upload(content)})

    job = Job.objects.get()
    assert (job.kind, job.status) == (Job.Kind.PEOPLE_PREVIEW, Job.Status.SUCCEEDED)
    assert response.url == job.get_absolute_url()
    assert Employee.objects.count() == 0


def test_a_file_at_the_request_limit_is_previewed_in_the_request(hr_client, settings):
    settings.PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST = 3
    content = csv_of(small_team()).replace(b"\nben@", b"\n,,,,,,,\nben@")  # not counted

    response = import_file(hr_client, content, follow=False)

    assert response.status_code == 302
    assert list(Job.objects.values_list("kind", flat=True)) == [Job.Kind.PEOPLE_IMPORT]
    assert Employee.objects.count() == 3


def test_the_page_says_when_a_file_is_previewed_in_the_background(hr_client, settings):
    settings.PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST = 1234

    response = hr_client.get(IMPORT_URL)

    assert "A file of more than 1,234 people is read and previewed in the background" in (
        response.text
    )


def test_by_default_files_of_up_to_1000_people_are_previewed_in_the_request():
    assert peoplefile.max_rows_in_request() == 1000


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", False),
        (b"email\n", False),
        (b"email\na\nb\n", False),
        (b"email\na\n\n,\nb\nc\n", True),
        ("email\nzoë\nb\nc\n".encode("latin-1"), False),  # unreadable: the import says why
    ],
)
def test_counting_the_people_of_a_file(content, expected):
    assert peoplefile.lists_more_than(content, 2) is expected


def test_a_clash_with_another_writer_asks_to_try_again(hr_client, monkeypatch):
    check_users = peoplefile._check_users

    checks = []

    def check_then_clash(plan):
        check_users(plan)
        checks.append(plan)
        if len(checks) == 2:  # the task's own check, after the confirmation's
            UserFactory(username="cy@example.com")  # created elsewhere, after the check

    preview = hr_client.post(IMPORT_URL, {"file": upload(csv_of(small_team()))}, follow=True)
    monkeypatch.setattr(peoplefile, "_check_users", check_then_clash)

    response = hr_client.post(
        preview_url(preview), {"fingerprint": preview.context["preview"].fingerprint}, follow=True
    )

    assert Job.objects.get().status == Job.Status.FAILED
    assert "This task failed." in response.text
    assert "import the file again" in response.text
    assert Employee.objects.count() == 0


def test_no_file_is_a_form_error(hr_client):
    response = hr_client.post(IMPORT_URL, {})

    assert response.status_code == 400
    assert "This field is required." in response.text


def assert_small_team_invited(mailoutbox):
    """Each of `small_team` emailed a link to choose a password on this site."""
    assert sorted(message.to[0] for message in mailoutbox) == [
        "ana@example.com",
        "ben@example.com",
        "cy@example.com",
    ]
    link = re.search(r"http://testserver(/\S+)", mailoutbox[0].body).group(1)
    assert resolve(link).url_name == "password_reset_confirm"


def test_invite_emails_each_new_person_a_link_to_this_site(hr_client, mailoutbox):
    response = import_file(hr_client, csv_of(small_team()), invite="on")

    assert "Created 3, updated 0, unchanged 0. Sent 3 invitations." in response.text
    assert_small_team_invited(mailoutbox)


@pytest.fixture
def worker_later(monkeypatch):
    """Invitation tasks wait in the queue, as for a worker busy elsewhere, until the test
    runs them (`worker_later.run()`): the import's own task still runs at once."""
    queued = []
    real_start = runner.start

    def start(kind, *, by, title, **params):
        if kind != Job.Kind.INVITATIONS:
            return real_start(kind, by=by, title=title, **params)
        job = Job.objects.create(kind=kind, title=title, requested_by=by, params=params)
        queued.append(job)
        return job

    monkeypatch.setattr(runner, "start", start)

    class Worker:
        jobs = queued

        @staticmethod
        def run():
            for job in queued:
                runner.run_job.call(job.pk)
                job.refresh_from_db()

    return Worker


def test_invitations_are_a_task_of_their_own_the_import_does_not_wait_for(
    hr_client, mailoutbox, worker_later
):
    response = import_file(hr_client, csv_of(small_team()), invite="on")

    (invitations,) = worker_later.jobs
    assert Employee.objects.count() == 3  # imported
    assert mailoutbox == []  # nobody emailed yet
    assert (
        "Created 3, updated 0, unchanged 0. The invitations to the 3 new people are sent by "
        "a task of their own." in response.text
    )
    assert f'href="{invitations.get_absolute_url()}">Follow the invitations</a>' in response.text
    assert invitations.title == "Invite the new people of people.csv"
    assert invitations.requested_by.username == "hana"

    worker_later.run()

    assert invitations.status == Job.Status.SUCCEEDED
    assert (invitations.message, invitations.result) == ("Sent 3 invitations.", {"sent": 3})
    assert_small_team_invited(mailoutbox)
    page = hr_client.get(invitations.get_absolute_url())
    assert "Send invitations, asked for by" in page.text
    assert "Sent 3 invitations." in page.text


def test_an_invitation_skips_whoever_chose_a_password_or_left_meanwhile(
    hr_client, mailoutbox, worker_later
):
    import_file(hr_client, csv_of(small_team()), invite="on")
    ana = Employee.objects.get(email="ana@example.com").user
    ana.set_password("chosen-meanwhile-2026")
    ana.save()
    Employee.objects.get(email="ben@example.com").user.delete()

    worker_later.run()

    (invitations,) = worker_later.jobs
    assert invitations.message == "Sent 1 invitation."
    assert [message.to[0] for message in mailoutbox] == ["cy@example.com"]


@pytest.mark.parametrize("fails", ["every", "one"])
def test_invitations_the_mail_server_refuses_say_so_and_keep_the_people(
    hr_client, mailoutbox, worker_later, monkeypatch, fails
):
    import_file(hr_client, csv_of(small_team()), invite="on")
    real_send = locmem.EmailBackend.send_messages

    def send_messages(self, messages):
        if fails == "every" or messages[0].to == ["ben@example.com"]:
            raise ConnectionRefusedError("no mail server here")
        return real_send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)

    worker_later.run()

    (invitations,) = worker_later.jobs
    assert Employee.objects.count() == 3
    if fails == "every":
        assert invitations.status == Job.Status.FAILED
        assert invitations.message.startswith("No invitation could be sent")
        assert "The people are imported" in invitations.message
        page = hr_client.get(invitations.get_absolute_url())
        assert "This task failed." in page.text
        assert "Forgot your password?" in page.text
    else:
        assert invitations.status == Job.Status.SUCCEEDED
        assert invitations.message.startswith("Sent 2 invitations. 1 could not be sent")
        assert sorted(message.to[0] for message in mailoutbox) == [
            "ana@example.com",
            "cy@example.com",
        ]


def test_without_the_checkbox_nobody_is_emailed(hr_client, mailoutbox):
    import_file(hr_client, csv_of(small_team()))

    assert Employee.objects.count() == 3
    assert mailoutbox == []


def test_a_superuser_can_import(client, admin_user, default_ladder):
    client.force_login(admin_user)

    response = import_file(client, csv_of(small_team()), follow=False)

    assert response.status_code == 302
    assert Employee.objects.count() == 3


def test_staff_without_the_add_permission_get_403(client, default_ladder):
    client.force_login(staff_with("view_employee", "change_employee"))

    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": upload(csv_of(small_team()))}).status_code == 403
    assert Employee.objects.count() == 0
    assert IMPORT_URL not in client.get(CHANGELIST_URL).text


def test_signed_in_non_staff_are_sent_to_the_admin_login(client, default_ladder):
    client.force_login(UserFactory())

    response = client.post(IMPORT_URL, {"file": upload(csv_of(small_team()))})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert Employee.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, default_ladder):
    response = client.post(IMPORT_URL, {"file": upload(csv_of(small_team()))})

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert resolve(target.path).url_name == "login"
    assert parse_qs(target.query)["next"] == [IMPORT_URL]
    assert Employee.objects.count() == 0


# The people admin -------------------------------------------------------------------------


@pytest.fixture
def team(hr_client):
    import_file(hr_client, csv_of(small_team()))
    return {e.email.split("@")[0]: e for e in Employee.objects.all()}


def change_url(employee):
    return reverse("admin:assessments_employee_change", args=[employee.pk])


def form_data(client, url, **changes):
    """What the admin form at `url` would post unchanged, with `changes`."""
    response = client.get(url)
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is not None and value is not False:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_the_list_costs_the_same_queries_for_3_people_as_for_33(hr_client, team):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = hr_client.get(CHANGELIST_URL)
        assert response.status_code == 200
        return len(captured), response

    few, response = queries()
    for text in ("Ana Boss", "ben@example.com", "Senior Product Manager", "Individual"):
        assert text in response.text
    more = [person(f"p{i}@example.com", manager="ana@example.com") for i in range(30)]
    import_file(hr_client, csv_of(more))
    assert Employee.objects.count() == 33

    assert queries()[0] == few


def test_the_change_form_shows_the_level_read_only_with_a_link_to_assign_it(hr_client, team):
    response = hr_client.get(change_url(team["ben"]))

    assert response.status_code == 200
    assert 'name="level"' not in response.text
    assert 'name="track"' not in response.text
    assert "Senior Product Manager" in response.text
    assign_url = reverse("assessments:assign_level", args=[team["ben"].pk])
    assert f'<a href="{assign_url}">Assign level</a>' in response.text
    assert "level history" in response.text.lower()


def test_a_manager_that_makes_a_loop_is_a_form_error(hr_client, team):
    url = change_url(team["ana"])

    response = hr_client.post(url, form_data(hr_client, url, manager=team["cy"].pk))

    assert response.status_code == 200
    assert "Cy Junior reports to Ana Boss; that would make a loop." in response.text
    assert Employee.objects.get(pk=team["ana"].pk).manager is None


def test_being_ones_own_manager_is_a_form_error(hr_client, team):
    url = change_url(team["ben"])

    response = hr_client.post(url, form_data(hr_client, url, manager=team["ben"].pk))

    assert response.status_code == 200
    assert "A person cannot be their own manager." in response.text


def test_details_and_manager_are_saved_and_the_level_is_left_alone(hr_client, team):
    url = change_url(team["cy"])
    data = form_data(hr_client, url, full_name="Cy Senior", manager=team["ana"].pk)

    response = hr_client.post(url, data)

    assert response.status_code == 302
    cy = Employee.objects.get(pk=team["cy"].pk)
    assert (cy.full_name, cy.manager, cy.level.key) == ("Cy Senior", team["ana"], "apm")
    assert cy.assignments.count() == 1


def test_unticking_active_deactivates_the_sign_in_too(hr_client, team):
    url = change_url(team["cy"])
    data = form_data(hr_client, url)
    del data["is_active"]

    assert hr_client.post(url, data).status_code == 302
    cy = Employee.objects.select_related("user").get(pk=team["cy"].pk)
    assert not cy.is_active
    assert not cy.user.is_active


def add_data(ladder, **changes):
    data = {
        "full_name": "Dee New",
        "email": "Dee@Example.com",
        "job_title": "PM",
        "ladder": ladder.pk,
        "track": ladder.tracks.get(key="ic").pk,
        "level": ladder.levels.get(key="pm").pk,
        "effective_on": (timezone.localdate() - datetime.timedelta(days=5)).isoformat(),
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_adding_a_person_places_them_with_a_first_assignment(hr_client, hr_user, default_ladder):
    url = reverse("admin:assessments_employee_add")

    response = hr_client.post(url, add_data(default_ladder))

    assert response.status_code == 302
    dee = Employee.objects.get()
    assert dee.email == "dee@example.com"
    assignment = dee.assignments.get()
    assert (assignment.level.key, assignment.assigned_by) == ("pm", hr_user)


def test_adding_a_person_off_the_track_is_a_form_error(hr_client, default_ladder):
    url = reverse("admin:assessments_employee_add")
    data = add_data(default_ladder, level=default_ladder.levels.get(key="vp").pk)

    response = hr_client.post(url, data)

    assert response.status_code == 200
    assert "is not on the Individual Contributor track" in response.text
    assert Employee.objects.count() == 0


def test_adding_a_person_with_a_future_date_is_a_form_error(hr_client, default_ladder):
    url = reverse("admin:assessments_employee_add")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = hr_client.post(url, add_data(default_ladder, effective_on=tomorrow.isoformat()))

    assert response.status_code == 200
    assert "A level takes effect today or earlier." in response.text
    assert Employee.objects.count() == 0


def test_the_level_history_is_read_only(hr_client, team):
    response = hr_client.get(reverse("admin:assessments_levelassignment_changelist"))
    assert response.status_code == 200
    assert "Ben Lead" in response.text

    assert hr_client.get(reverse("admin:assessments_levelassignment_add")).status_code == 403
    assignment = LevelAssignment.objects.first()
    url = reverse("admin:assessments_levelassignment_change", args=[assignment.pk])
    response = hr_client.post(url, {"rationale": "Rewritten"})
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.rationale != "Rewritten"


def test_the_preview_lists_the_people_left_out_of_the_file_escaped(hr_client, default_ladder):
    from ..conftest import place

    place(default_ladder, "left", "Lee <b>Left</b> & Co", "pm")
    preview = hr_client.post(IMPORT_URL, {"file": upload(csv_of(small_team()))}, follow=True)

    listed = preview.content.decode().split('<ul class="people-missing">', 1)[1]
    listed = listed.split("</ul>", 1)[0]
    assert (
        '<li>Lee &lt;b&gt;Left&lt;/b&gt; &amp; Co <span class="quiet">left@example.com</span></li>'
        in listed
    )

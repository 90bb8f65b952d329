"""Importing a ladder file in the admin: upload, preview, confirm."""

import copy
import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from assessments.selectors import HR_GROUP
from jobs import runner
from jobs.models import Job
from levels import ladderfile
from levels.admin import preview_salt
from levels.models import Ladder, Level
from levels.selectors import ladder_spec

from ..factories import UserFactory, make_hr_user
from .test_admin_import_plan import (
    edited,
    level_of,
    no_writes,
    record_skill_evidence,
    without_skills,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
IMPORT_URL = "/admin/levels/ladder/import/"
CONFIRM_URL = "/admin/levels/ladder/import/confirm/"
CHANGELIST_URL = "/admin/levels/ladder/"


@pytest.fixture
def hr_user(default_ladder):
    """A staff member in the HR group, not a superuser."""
    user = UserFactory(username="hana", is_staff=True)
    user.groups.add(Group.objects.get(name=HR_GROUP))
    return user


@pytest.fixture
def hr_client(client, hr_user):
    client.force_login(hr_user)
    return client


def upload(content, name="ladder.yaml"):
    if isinstance(content, dict):
        content = ladderfile.dump(content)
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content, content_type="application/x-yaml")


def preview_token(response):
    return html.unescape(re.search(r'name="preview" value="([^"]+)"', response.text).group(1))


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def text_of(fragment):
    """The text of an HTML fragment, with its spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(response, section):
    """(change, name, details) for each row of a section of the preview."""
    block = re.search(
        rf'id="section-{section}">(.*?)</table>',
        response.text,
        re.DOTALL,
    ).group(1)
    found = []
    for row in re.findall(r"<tr class=\"import-\w+\">(.*?)</tr>", block, re.DOTALL):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
        found.append(tuple(text_of(cell) for cell in cells))
    return found


def test_the_import_url_is_named_and_linked_from_the_list(hr_client):
    response = hr_client.get(CHANGELIST_URL)

    assert reverse("admin:levels_ladder_import") == IMPORT_URL
    assert f'<a href="{IMPORT_URL}">Import ladder file</a>' in response.text


def test_the_import_page_offers_a_file_upload(hr_client):
    response = hr_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.text
    assert re.search(r'<input type="file" name="file"[^>]*required', response.text)
    assert "Preview the import" in response.text


def test_the_preview_lists_the_changes_and_writes_nothing(hr_client, default_ladder):
    before = ladder_spec(default_ladder)

    with CaptureQueriesContext(connection) as captured:
        response = hr_client.post(IMPORT_URL, {"file": upload(edited(default_ladder))})

    assert response.status_code == 200
    assert no_writes(captured) == []
    assert ladder_spec(default_ladder) == before
    assert Level.objects.filter(key="group-pm").count() == 0
    summary = text_of(re.search(r'<p id="import-summary">(.*?)</p>', response.text, re.S)[1])
    assert summary == (
        "Importing ladder.yaml will update the ladder Product Management (product-management) "
        "in place to match the file. Nothing has been written yet."
    )
    assert "Nothing has been written yet." in summary
    assert rows(response, "levels") == [
        ("changed", "Product Manager I (pm)", "name: “Product Manager” → “Product Manager I”"),
        (
            "changed",
            "Senior Product Manager (senior-pm)",
            "expectations: 1 removed (or retired if evidence or reviews point at it) "
            "removed: “Coaching and mentorship”",
        ),
        ("added", "Group Product Manager (group-pm)", "expectations: 16 added"),
    ]
    assert rows(response, "tracks") == [
        (
            "changed",
            "Management (management)",
            "levels: “apm, pm, senior-pm, pm-manager, "
            "director, vp, cpo” → “apm, pm, senior-pm, group-pm, pm-manager, director, vp, cpo” "
            "adds Group PM",
        ),
    ]
    assert 'id="section-categories"' not in response.text
    assert 'value="Apply these changes"' in response.text


def test_the_preview_shows_a_changed_text_before_and_after(hr_client, default_ladder):
    spec = copy.deepcopy(ladder_spec(default_ladder))
    pm = level_of(spec, "pm")
    old_next_step = pm["next_step"]
    pm["next_step"] = "Lead a product area end to end, and coach an APM."
    spec["ladder"]["description"] = spec["ladder"]["description"] + " Revised yearly."

    response = hr_client.post(IMPORT_URL, {"file": upload(spec)})

    assert response.status_code == 200
    assert rows(response, "levels") == [
        (
            "changed",
            "Product Manager (pm)",
            f"next step changes: Before {old_next_step} "
            "After Lead a product area end to end, and coach an APM.",
        ),
    ]
    (ladder_row,) = rows(response, "ladder")
    assert ladder_row[2].startswith("description changes: Before …")
    assert ladder_row[2].endswith("fine outcome. Revised yearly.")


def test_confirming_the_preview_applies_it(hr_client, hr_user, default_ladder):
    spec = edited(default_ladder)
    preview = hr_client.post(IMPORT_URL, {"file": upload(spec, "pm.yaml")})

    response = hr_client.post(CONFIRM_URL, {"preview": preview_token(preview)})

    job = Job.objects.get()  # written by a task, whose page follows it
    assert response.status_code == 302
    assert response.url == reverse("admin:jobs_job_progress", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED
    assert job.message == (
        "Updated ladder 'product-management' (Product Management) from pm.yaml: "
        "levels: 1 added, 2 changed; tracks: 1 changed."
    )
    assert job.result_url == reverse("admin:levels_ladder_change", args=[default_ladder.pk])
    page = hr_client.get(response.url)
    assert "levels: 1 added, 2 changed; tracks: 1 changed." in page.text
    assert ">Open Product Management</a>" in page.text
    assert ladder_spec(default_ladder) == spec
    entry = LogEntry.objects.get(object_id=str(default_ladder.pk))
    assert (entry.user, entry.change_message) == (
        hr_user,
        "Imported pm.yaml: levels: 1 added, 2 changed; tracks: 1 changed.",
    )
    version = Level.history.latest()  # recorded as HR's, though a task wrote it
    assert version.history_user == entry.user
    assert version.history_change_reason == "Imported from pm.yaml"
    assert Ladder.objects.count() == 1


def test_a_ladder_changed_before_the_task_runs_is_left_alone(hr_user, default_ladder):
    """The task plans again under the import lock: an edit made after the confirmation was
    checked, before the task ran, fails the task and changes nothing."""
    before = ladder_spec(default_ladder)
    job = runner.start(
        Job.Kind.LADDER_IMPORT,
        by=hr_user,
        title="Import pm.yaml",
        name="pm.yaml",
        content=ladderfile.dump(edited(default_ladder)),
        base="the fingerprint of an older ladder",
    )
    assert job.status == Job.Status.FAILED
    assert job.message.startswith("The ladder changed after your preview of pm.yaml")
    assert job.result_url == IMPORT_URL
    assert ladder_spec(default_ladder) == before


def test_a_file_broken_before_the_task_runs_lists_its_problems(hr_user, default_ladder):
    job = runner.start(
        Job.Kind.LADDER_IMPORT,
        by=hr_user,
        title="Import pm.yaml",
        name="pm.yaml",
        content="levels: [",
        base="",
    )
    assert job.status == Job.Status.FAILED
    assert job.message.startswith("Nothing was changed:")


def test_a_new_ladder_is_previewed_then_created(hr_client):
    content = (DATA / "engineering.yaml").read_bytes()

    preview = hr_client.post(IMPORT_URL, {"file": upload(content, "engineering.yaml")})

    assert preview.status_code == 200
    assert "will <strong>create a new ladder</strong>" in preview.text
    assert 'value="Create the ladder"' in preview.text
    assert not Ladder.objects.filter(slug="engineering").exists()
    response = hr_client.post(CONFIRM_URL, {"preview": preview_token(preview)})
    ladder = Ladder.objects.get(slug="engineering")
    job = Job.objects.get()
    assert response.url == reverse("admin:jobs_job_progress", args=[job.pk])
    assert job.message == (
        f"Created ladder 'engineering' ({ladder.name}) from engineering.yaml as a draft: only "
        "HR sees it until you publish it."
    )
    assert job.result_url == reverse("admin:levels_ladder_change", args=[ladder.pk])
    assert ladder.status == Ladder.Status.DRAFT
    assert ladder_spec(ladder) == ladderfile.read(content)


def test_a_json_file_is_read_as_json(hr_client, default_ladder):
    content = ladderfile.dump(edited(default_ladder), "json")

    preview = hr_client.post(IMPORT_URL, {"file": upload(content, "pm.json")})

    assert preview.status_code == 200
    assert "Group Product Manager" in preview.text


def test_an_unchanged_file_offers_nothing_to_apply(hr_client, default_ladder):
    response = hr_client.post(IMPORT_URL, {"file": upload(ladder_spec(default_ladder))})

    assert response.status_code == 200
    assert "The file matches the ladder as it is: nothing would change." in response.text
    assert '<input type="submit"' not in response.text


def test_a_bad_file_lists_every_problem_with_its_place_and_writes_nothing(
    hr_client, default_ladder
):
    before = ladder_spec(default_ladder)
    data = ladderfile.to_file_data(copy.deepcopy(before))
    data["format"] = "ladder/v9"
    data["levels"][3]["expectations"]["skills"][2] = ["a", "list"]
    data["tracks"][1]["levels"].append("ghost")

    response = hr_client.post(IMPORT_URL, {"file": upload(yaml.safe_dump(data), "bad.yaml")})

    assert response.status_code == 400
    assert "bad.yaml was not imported and nothing was changed." in response.text
    problems = [html.unescape(p) for p in re.findall(r"<li>(.*?)</li>", response.text)]
    assert "format: expected 'ladder/v2' or 'ladder/v1', got 'ladder/v9'" in problems
    assert (
        "levels[3].expectations.skills[2]: expected text or a mapping with 'text', got a list"
        in problems
    )
    assert "tracks[1].levels[7]: unknown level 'ghost'" in problems
    assert 'name="preview"' not in response.text
    assert ladder_spec(default_ladder) == before


def test_a_file_that_is_not_yaml_is_refused_with_its_line(hr_client, default_ladder):
    response = hr_client.post(IMPORT_URL, {"file": upload("format: [unclosed\n", "x.yaml")})

    assert response.status_code == 400
    assert "line 2, column 1: not valid YAML" in html.unescape(response.text)


def test_a_file_that_is_too_big_is_refused(hr_client, default_ladder, settings):
    settings.LADDER_FILE_MAX_BYTES = 100

    response = hr_client.post(IMPORT_URL, {"file": upload(ladder_spec(default_ladder))})

    assert response.status_code == 400
    assert "ladder files may be at most 100 bytes" in response.text


def test_no_file_is_a_form_error(hr_client):
    response = hr_client.post(IMPORT_URL, {})

    assert response.status_code == 400
    assert "This field is required." in response.text


def test_the_import_reports_each_stage_up_to_the_commit(hr_client, default_ladder, monkeypatch):
    reports = []
    report = runner.Progress.__call__

    def recorded(progress, done, total, stage):
        reports.append((done, total, stage))
        report(progress, done, total, stage)

    monkeypatch.setattr(runner.Progress, "__call__", recorded)
    preview = hr_client.post(IMPORT_URL, {"file": upload(edited(default_ladder), "pm.yaml")})

    hr_client.post(CONFIRM_URL, {"preview": preview_token(preview)})

    assert reports == [
        (0, 3, "Reading the file"),
        (1, 3, "Checking the ladder"),
        (2, 3, "Writing the ladder"),
        (0, 0, "Saving"),  # an unmeasured bar while the transaction commits, never a full one
    ]


def test_a_tampered_confirmation_is_refused(hr_client, default_ladder):
    before = ladder_spec(default_ladder)
    preview = hr_client.post(IMPORT_URL, {"file": upload(edited(default_ladder))})
    token = preview_token(preview)
    payload = signing.loads(token, salt=preview_salt(preview.wsgi_request.user))
    forged = signing.dumps({**payload, "content": payload["content"].replace("L7", "L9")})

    for bad in (forged, token[:-2] + "xx", ""):
        response = hr_client.post(CONFIRM_URL, {"preview": bad})
        assert response.status_code == 302
        assert response.url == IMPORT_URL
        assert messages_of(response)[-1].startswith("That preview has expired or was altered")

    assert ladder_spec(default_ladder) == before


def test_the_confirmation_reads_and_checks_the_file_again(hr_client, hr_user, default_ladder):
    """Even a correctly signed preview is checked again, e.g. after a lower size limit."""
    before = ladder_spec(default_ladder)
    bad = ladderfile.dump(before).replace("format: ladder/v2", "format: ladder/v3")
    token = signing.dumps(
        {"name": "pm.yaml", "content": bad, "base": ""}, salt=preview_salt(hr_user), compress=True
    )

    response = hr_client.post(CONFIRM_URL, {"preview": token})

    assert response.status_code == 400
    assert (
        "format: expected &#x27;ladder/v2&#x27; or &#x27;ladder/v1&#x27;, got &#x27;ladder/v3&#x27;"
        in response.text
    )
    assert ladder_spec(default_ladder) == before


def test_another_users_preview_cannot_be_confirmed(client, hr_client, default_ladder):
    before = ladder_spec(default_ladder)
    preview = hr_client.post(IMPORT_URL, {"file": upload(edited(default_ladder))})
    colleague = UserFactory(is_staff=True)
    colleague.groups.add(Group.objects.get(name=HR_GROUP))
    client.force_login(colleague)

    response = client.post(CONFIRM_URL, {"preview": preview_token(preview)})

    assert response.status_code == 302
    assert response.url == IMPORT_URL
    assert ladder_spec(default_ladder) == before


def test_an_edit_between_preview_and_confirm_shows_the_preview_again(hr_client, default_ladder):
    spec = edited(default_ladder)
    preview = hr_client.post(IMPORT_URL, {"file": upload(spec)})
    Level.objects.filter(ladder=default_ladder, key="apm").update(name="Associate PM (edited)")

    response = hr_client.post(CONFIRM_URL, {"preview": preview_token(preview)})

    assert response.status_code == 409
    assert "The ladder changed after your preview, so nothing was imported." in response.text
    assert (
        "changed",
        "Associate Product Manager (apm)",
        ("name: “Associate PM (edited)” → “Associate Product Manager”"),
    ) in rows(response, "levels")
    assert default_ladder.levels.get(key="apm").name == "Associate PM (edited)"
    assert not default_ladder.levels.filter(key="group-pm").exists()
    again = hr_client.post(CONFIRM_URL, {"preview": preview_token(response)})
    assert again.status_code == 302
    assert ladder_spec(default_ladder) == spec


def test_a_ladder_created_between_preview_and_confirm_is_not_overwritten(hr_client):
    content = (DATA / "engineering.yaml").read_bytes()
    preview = hr_client.post(IMPORT_URL, {"file": upload(content, "engineering.yaml")})
    Ladder.objects.create(slug="engineering", name="Someone else's")

    response = hr_client.post(CONFIRM_URL, {"preview": preview_token(preview)})

    assert response.status_code == 409
    assert Ladder.objects.get(slug="engineering").name == "Someone else's"


def test_a_plan_with_a_problem_cannot_be_confirmed(hr_client, org):
    record_skill_evidence(org)
    spec = without_skills(org.ladder)

    preview = hr_client.post(IMPORT_URL, {"file": upload(spec)})
    confirm = hr_client.post(CONFIRM_URL, {"preview": preview_token(preview)})

    assert preview.status_code == 400
    assert "keep the category" in html.unescape(preview.text)
    assert '<input type="submit"' not in preview.text
    assert confirm.status_code == 400
    assert org.ladder.categories.filter(key="skills").exists()


def test_confirm_by_get_goes_back_to_the_upload(hr_client):
    response = hr_client.get(CONFIRM_URL)

    assert response.status_code == 302
    assert response.url == IMPORT_URL


# Permissions ---------------------------------------------------------------------------


def test_staff_without_the_add_permission_get_403(client, default_ladder):
    client.force_login(make_hr_user("view_ladder", "change_ladder"))
    before = ladder_spec(default_ladder)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": upload(edited(default_ladder))}).status_code == 403
    assert client.post(CONFIRM_URL, {"preview": "x"}).status_code == 403
    assert IMPORT_URL not in client.get(CHANGELIST_URL).text
    assert ladder_spec(default_ladder) == before


def test_staff_outside_the_hr_group_are_sent_to_the_admin_login(client, default_ladder):
    client.force_login(UserFactory(is_staff=True))

    for response in (client.get(IMPORT_URL), client.post(CONFIRM_URL, {"preview": "x"})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", [IMPORT_URL, CONFIRM_URL])
def test_signed_in_non_staff_are_sent_to_the_admin_login(client, default_ladder, url):
    client.force_login(UserFactory())

    response = client.post(url, {"file": upload(edited(default_ladder))})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert not Level.objects.filter(key="group-pm").exists()


@pytest.mark.parametrize("url", [IMPORT_URL, CONFIRM_URL])
def test_anonymous_visitors_are_sent_to_sign_in(client, default_ladder, url):
    response = client.post(url, {"file": upload(edited(default_ladder))})

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert resolve(target.path).url_name == "login"
    assert parse_qs(target.query)["next"] == [url]
    assert not Level.objects.filter(key="group-pm").exists()


def test_a_superuser_can_import(client, admin_user, default_ladder):
    client.force_login(admin_user)
    spec = edited(default_ladder)

    preview = client.post(IMPORT_URL, {"file": upload(spec)})
    client.post(CONFIRM_URL, {"preview": preview_token(preview)})

    assert level_of(ladder_spec(default_ladder), "pm")["name"] == "Product Manager I"

"""Data requests about one person (`assessments.datarequests`): HR downloads everything held
about them, and erases someone who has left, leaving no name, email, username or text of
theirs in any table while the organisation's figures stay as they were."""

import datetime
import json
import threading

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection, connections, models
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from assessments import datarequests, evidence, reviews, services
from assessments.models import (
    Employee,
    Evidence,
    EvidenceChange,
    LevelAssignment,
    PeopleImport,
    Rating,
    Review,
    ReviewRating,
)
from jobs import runner
from jobs.models import Job
from levels import history
from rounds import selectors as round_selectors
from rounds import services as round_services
from rounds.models import Nomination

from ..conftest import place
from ..factories import make_evidence, make_hr_user, make_round
from ..threads import needs_postgresql

pytestmark = pytest.mark.django_db

NAME, USERNAME, EMAIL = "Wren Erasable", "wren.erasable", "wren.erasable@example.com"
# Words only ever written about Wren: none may survive the erasure.
ABOUT_WREN = "zephyr-onboarding"
# What Wren wrote about a teammate: the teammate's, never in Wren's file.
ABOUT_TEAMMATE = "quokka-roadmap"
TODAY = timezone.localdate()


def ago(days):
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def wren(org):
    """A PM under the manager with a bit of everything: a sign-in, level history, evidence
    with its history (their own win and a manager's note), a shared and acknowledged
    review, a nomination with an endorsement and a decision, a record history, and traces
    elsewhere (another person's evidence, a people file, an export task, sign-in failures,
    the ladder's change history). Wren also wrote evidence about a teammate."""
    person = place(org.ladder, USERNAME, NAME, "apm", manager=org.manager, months_ago=24)
    expectation = person.level.expectations.first()
    services.assign_level(
        employee=person,
        level=org.ladder.levels.get(key="pm"),
        track=person.track,
        effective_on=ago(100),
        by=org.hr,
        rationale=f"{NAME} led {ABOUT_WREN}.",
    )
    person.refresh_from_db()
    expectation = person.level.expectations.first()
    win = evidence.log_win(
        employee=person,
        expectation=expectation,
        by=person.user,
        observed_on=ago(20),
        description=f"Ran {ABOUT_WREN} for the new team.",
        link="https://example.com/wren-doc",
    )
    evidence.decline_win(evidence=win, by=org.manager.user, reason=f"Not yet {ABOUT_WREN}.")
    note = evidence.record_evidence(
        employee=person,
        expectation=expectation,
        by=org.manager.user,
        observed_on=ago(10),
        description=f"Private note on {ABOUT_WREN}.",
        visibility=Evidence.Visibility.PRIVATE,
        kind=Evidence.Kind.GROWTH,
    )
    evidence.record_evidence(
        employee=person,
        expectation=expectation,
        by=org.manager.user,
        observed_on=ago(9),
        description=f"Shipped {ABOUT_WREN} well.",
        visibility=Evidence.Visibility.SHARED,
    )
    evidence.edit_evidence(
        evidence=note,
        by=org.manager.user,
        version=note.version,
        expectation=expectation,
        observed_on=note.observed_on,
        description=f"Private note, edited, on {ABOUT_WREN}.",
        link="",
        visibility=note.visibility,
        kind=note.kind,
        criteria=(),
    )
    review = reviews.start_review(employee=person, target_level=person.level, by=org.manager.user)
    reviews.save_review(
        review=review,
        ratings={
            row.pk: (Rating.MEETS, f"Comment on {ABOUT_WREN}.") for row in review.ratings.all()
        },
        readiness=Review.Readiness.READY,
        summary=f"{NAME} is ready: {ABOUT_WREN}.",
        version=1,
        by=org.manager.user,
    )
    review = reviews.share_review(review=review, by=org.manager.user)
    reviews.acknowledge_review(review=review, by=person.user, comment=f"Thanks, {ABOUT_WREN}.")
    target = round_selectors.targets_for(person)[0]
    round = make_round(by=org.hr, name="H1")
    nomination = round_services.nominate(
        round=round,
        employee=person,
        target_level=target.level,
        target_track=target.track,
        cases={c.pk: f"The case: {ABOUT_WREN}." for c in org.ladder.promotion_criteria.all()},
        by=org.manager.user,
    )
    round_services.endorse(nomination=nomination, by=org.boss.user, text=f"Backed: {ABOUT_WREN}.")
    round_services.close_nominations(round=round, by=org.hr)
    round_services.decide(
        nomination=nomination,
        by=org.hr,
        decision=Nomination.Decision.NOT_THIS_ROUND,
        rationale=f"Rationale on {ABOUT_WREN}.",
        feedback=f"Feedback on {ABOUT_WREN}.",
        discussion=f"Committee notes on {ABOUT_WREN}.",
    )
    # Wren writes about a teammate (other people's data), and is written about elsewhere.
    # As a former team lead might have: written straight to the table.
    make_evidence(
        org.teammate,
        org.teammate.level.expectations.first(),
        ago(5),
        by=person.user,
        description=f"Teammate's {ABOUT_TEAMMATE}.",
        visibility=Evidence.Visibility.PRIVATE,
    )
    evidence.record_evidence(
        employee=org.teammate,
        expectation=org.teammate.level.expectations.first(),
        by=org.manager.user,
        observed_on=ago(4),
        description=f"Paired with {NAME} ({EMAIL}) on the launch.",
        visibility=Evidence.Visibility.SHARED,
    )
    LogEntry.objects.log_actions(
        user_id=org.hr.pk,
        queryset=[person],
        action_flag=2,
        change_message=f"Changed Job title. Why: {ABOUT_WREN}",
        single_object=True,
    )
    PeopleImport.objects.create(
        file_name="people.csv",
        content=f"email,full_name\n{EMAIL},{NAME}\nnia@example.com,Nia New\n",
        uploaded_by=org.hr,
        shown={EMAIL: {"full_name": NAME}},
    )
    Job.objects.create(
        kind=Job.Kind.PEOPLE_EXPORT,
        title="Export people.csv",
        requested_by=org.hr,
        status=Job.Status.SUCCEEDED,
        output=f"email,full_name\r\n{EMAIL},{NAME}\r\n",
        output_name="people.csv",
    )
    AccessAttempt.objects.create(username=USERNAME, ip_address="127.0.0.1", failures_since_start=1)
    with history.reason(f"Renamed as {NAME} asked"):
        org.ladder.save()
    person.refresh_from_db()
    return person


def leaver(person):
    services.deactivate_employee(employee=person)
    person.refresh_from_db()
    return person


def text_columns(model):
    return [
        field.column
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
    ]


def every_text():
    """{(table, column, row number): text} of every text and JSON column of every table,
    read with raw SQL (historical tables included)."""
    found = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            columns = text_columns(model)
            if not columns:
                continue
            table = model._meta.db_table
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            for number, values in enumerate(cursor.fetchall()):
                for column, value in zip(columns, values, strict=True):
                    if value is not None:
                        found[(table, column, number)] = str(value)
    return found


def mentions(*needles):
    """Where any of `needles` still appears, whatever the case."""
    return sorted(
        {
            (table, column)
            for (table, column, _), text in every_text().items()
            for needle in needles
            if needle.lower() in text.lower()
        }
    )


def org_figures():
    """What the organisation's reports count."""
    return {
        "people": Employee.objects.count(),
        "active": Employee.objects.filter(is_active=True).count(),
        "by_level": list(
            Employee.objects.values("level__key").annotate(n=Count("id")).order_by("level__key")
        ),
        "level_history": list(
            LevelAssignment.objects.values_list("employee_id", "level_id", "effective_on")
        ),
        "evidence": list(
            Evidence.objects.values_list("employee_id", "status", "kind", "observed_on")
        ),
        "evidence_changes": EvidenceChange.objects.count(),
        "reviews": list(Review.objects.values_list("employee_id", "status", "readiness")),
        "ratings": list(ReviewRating.objects.values_list("review_id", "rating")),
        "nominations": list(Nomination.objects.values_list("employee_id", "decision")),
    }


# Export --------------------------------------------------------------------------------------


def test_export_holds_every_kind_of_record(wren):
    data = datarequests.export_person(wren)

    assert data["person"]["full_name"] == NAME
    assert data["person"]["manager"] == "Mina Manager"
    assert data["sign_in"]["username"] == USERNAME
    assert data["sign_in"]["date_joined"]
    assert data["level_history"][0]["level"] == wren.level.name
    assert len(data["level_history"]) == 2
    assert f"{NAME} led {ABOUT_WREN}." in [row["rationale"] for row in data["level_history"]]
    descriptions = {item["description"] for item in data["evidence"]}
    assert f"Private note, edited, on {ABOUT_WREN}." in descriptions
    win = next(item for item in data["evidence"] if item["source"] == "self")
    assert win["decline_reason"] == f"Not yet {ABOUT_WREN}."
    assert [c["action"] for c in win["changes"]] == ["created", "declined"]
    note = next(item for item in data["evidence"] if item["visibility"] == "private")
    assert note["changes"][0]["item_after"]["description"] == f"Private note on {ABOUT_WREN}."
    (review,) = data["reviews"]
    assert review["summary"].endswith(ABOUT_WREN + ".")
    assert review["comment_from_the_person"] == f"Thanks, {ABOUT_WREN}."
    assert {r["rating"] for r in review["ratings"]} == {"meets"}
    (nomination,) = data["nominations"]
    assert nomination["decision"] == "not_this_round"
    assert nomination["feedback"] == f"Feedback on {ABOUT_WREN}."
    assert nomination["endorsements"][0]["text"] == f"Backed: {ABOUT_WREN}."
    assert nomination["packet_when_frozen"]["level"] == nomination["target_level"]
    assert any(ABOUT_WREN in entry["change"] for entry in data["record_history"])
    json.dumps(data)  # plain data, ready for the file


def test_export_gives_only_counts_of_what_they_wrote_about_others(wren):
    data = datarequests.export_person(wren)
    text = json.dumps(data)

    assert ABOUT_TEAMMATE not in text
    assert data["written_about_others"] == {
        "evidence": 1,
        "reviews": 0,
        "nominations": 0,
        "endorsements": 0,
    }
    assert "password" not in text
    assert wren.user.password not in text


def test_export_runs_a_fixed_number_of_queries(wren, django_assert_max_num_queries):
    for day in range(5):  # more history costs no more queries
        evidence.log_win(
            employee=wren,
            expectation=wren.level.expectations.first(),
            by=wren.user,
            observed_on=ago(30 + day),
            description="Another win.",
        )
    # The person with their sign-in, manager, ladder, track and level; level history;
    # evidence, its criteria and its changes; reviews and their ratings; nominations,
    # their endorsements and changes; the record's admin history; four counts of what
    # they wrote about others (evidence, reviews, nominations, endorsements).
    with django_assert_max_num_queries(16):
        data = datarequests.export_person(wren)
    assert len(data["evidence"]) == 8


def test_hr_downloads_the_file_named_by_the_id(client, org, wren):
    client.force_login(org.hr)
    change = client.get(reverse("admin:assessments_employee_change", args=[wren.pk]))
    url = reverse("admin:assessments_employee_data", args=[wren.pk])
    assert url in change.content.decode()

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"person-{wren.pk}-data.json" in disposition
    assert "Wren" not in disposition
    assert json.loads(response.content)["person"]["email"] == EMAIL
    assert LogEntry.objects.filter(
        object_id=str(wren.pk), user=org.hr, change_message__contains="Downloaded"
    ).exists()


# Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["person", "manager", "unrelated_manager"])
@pytest.mark.parametrize("page", ["data", "erase"])
def test_nobody_but_hr_exports_or_erases(client, org, wren, who, page):
    users = {
        "person": wren.user,
        "manager": org.manager.user,
        "unrelated_manager": org.other_manager.user,
    }
    client.force_login(users[who])
    url = reverse(f"admin:assessments_employee_{page}", args=[wren.pk])

    for response in (client.get(url), client.post(url, {"confirm": "on"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert Employee.objects.get(pk=wren.pk).full_name == NAME


@pytest.mark.parametrize("page", ["data", "erase"])
def test_anonymous_is_sent_to_sign_in(client, wren, page):
    leaver(wren)
    url = reverse(f"admin:assessments_employee_{page}", args=[wren.pk])

    response = client.post(url, {"confirm": "on"})

    assert response.status_code == 302
    assert "login" in response["Location"]
    assert Employee.objects.get(pk=wren.pk).full_name == NAME


def test_hr_who_may_only_read_people_exports_but_does_not_erase(client, wren):
    leaver(wren)
    client.force_login(make_hr_user("view_employee"))

    assert client.get(reverse("admin:assessments_employee_data", args=[wren.pk])).status_code == 200
    url = reverse("admin:assessments_employee_erase", args=[wren.pk])
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert Employee.objects.get(pk=wren.pk).full_name == NAME


# Erasure ------------------------------------------------------------------------------------


def test_an_active_person_is_not_erased(client, org, wren):
    client.force_login(org.hr)
    before = every_text()
    with pytest.raises(ValidationError, match="still active"):
        datarequests.erase_person(wren, org.hr)

    url = reverse("admin:assessments_employee_erase", args=[wren.pk])
    page = client.get(url)
    refused = client.post(url, {"confirm": "on"})

    assert page.status_code == 200
    assert "still active" in page.content.decode()
    assert 'value="Erase' not in page.content.decode()
    assert refused.status_code == 409
    assert "still active" in refused.content.decode()
    change = client.get(reverse("admin:assessments_employee_change", args=[wren.pk]))
    assert url not in change.content.decode()  # no erasure offered
    assert every_text() == before


def test_the_page_says_what_happens_and_wants_the_box_ticked(client, org, wren):
    leaver(wren)
    client.force_login(org.hr)
    url = reverse("admin:assessments_employee_erase", args=[wren.pk])
    change = client.get(reverse("admin:assessments_employee_change", args=[wren.pk]))

    page = client.get(url)
    unticked = client.post(url)

    assert url in change.content.decode()
    text = page.content.decode()
    assert f"Erased person #{wren.pk}" in text
    assert f"erased-{wren.pk}@invalid.example" in text
    assert "What stays" in text
    assert unticked.status_code == 400
    assert Employee.objects.get(pk=wren.pk).full_name == NAME


def test_erasure_leaves_no_personal_text_in_any_table(client, org, wren):
    leaver(wren)
    assert mentions(NAME, EMAIL, USERNAME, ABOUT_WREN)  # the scan finds them before
    figures = org_figures()
    client.force_login(org.hr)

    response = client.post(
        reverse("admin:assessments_employee_erase", args=[wren.pk]), {"confirm": "on"}
    )

    job = Job.objects.get(kind=Job.Kind.PERSON_ERASURE)
    assert response.status_code == 302
    assert response["Location"] == job_url(job)
    assert job.status == Job.Status.SUCCEEDED
    assert mentions(NAME, EMAIL, USERNAME, ABOUT_WREN) == []
    # What others wrote about themselves, and about others, is untouched.
    assert mentions(ABOUT_TEAMMATE)
    assert mentions("Mina Manager", "Nia New")
    assert org_figures() == figures
    wren.refresh_from_db()
    assert (wren.full_name, wren.email, wren.job_title) == (
        f"Erased person #{wren.pk}",
        f"erased-{wren.pk}@invalid.example",
        "",
    )
    assert Evidence.objects.get(employee=org.teammate, author=org.manager.user).description == (
        f"Paired with Erased person #{wren.pk} (erased-{wren.pk}@invalid.example) on the launch."
    )


def test_their_sign_in_can_never_be_used_again(client, org, wren):
    user_pk = wren.user_id
    leaver(wren)
    wren.user.groups.add(services.ensure_hr_group())

    datarequests.erase_person(wren, org.hr)

    user = get_user_model().objects.get(pk=user_pk)
    assert not user.has_usable_password()
    assert not user.is_active
    assert not user.is_staff
    assert not user.groups.exists()
    assert (user.username, user.email) == (f"erased-{wren.pk}", "")
    assert not user.check_password("a-long-test-password")
    # What they wrote about the teammate still has an (anonymous) author.
    written = Evidence.objects.get(employee=org.teammate, author=user)
    assert written.description == f"Teammate's {ABOUT_TEAMMATE}."


def test_the_erasure_is_recorded(org, wren):
    leaver(wren)

    datarequests.erase_person(wren, org.hr)

    entry = LogEntry.objects.filter(object_id=str(wren.pk)).latest("action_time")
    assert (entry.user, entry.object_repr) == (org.hr, f"Erased person #{wren.pk}")
    assert "Erased" in entry.change_message
    assert entry.action_time is not None


def test_the_organisation_views_kept_figures_are_dropped(
    org, wren, django_capture_on_commit_callbacks
):
    figures = caches["kept"]
    figures.set("org-figures:a-view", (b"kept markup naming Wren", None), 300)
    leaver(wren)

    with django_capture_on_commit_callbacks(execute=True):
        datarequests.erase_person(wren, org.hr)

    assert figures.get("org-figures:a-view") is None


def test_erasing_twice_changes_nothing_more(client, org, wren):
    leaver(wren)
    assert datarequests.erase_person(wren, org.hr) is True
    client.force_login(org.hr)
    before, entries = every_text(), LogEntry.objects.count()

    assert datarequests.erase_person(Employee.objects.get(pk=wren.pk), org.hr) is False
    again = client.post(
        reverse("admin:assessments_employee_erase", args=[wren.pk]), {"confirm": "on"}
    )

    assert again.status_code == 302
    change = client.get(reverse("admin:assessments_employee_change", args=[wren.pk]))
    assert (
        reverse("admin:assessments_employee_erase", args=[wren.pk]) not in change.content.decode()
    )
    assert every_text() == before
    assert LogEntry.objects.count() == entries


def test_a_name_someone_else_shares_stays_in_their_texts(org, wren):
    namesake = place(org.ladder, "namesake", NAME, "pm", manager=org.other_manager)
    leaver(wren)

    datarequests.erase_person(wren, org.hr)

    namesake.refresh_from_db()
    assert namesake.full_name == NAME
    assert Employee.objects.get(pk=wren.pk).full_name == f"Erased person #{wren.pk}"


def test_only_whole_names_emails_and_usernames_are_replaced(org, wren):
    leaver(wren)
    others = f"The Wren Erasables met x{EMAIL}, {EMAIL}.au and {USERNAME}2."
    note = make_evidence(
        org.stranger, org.stranger.level.expectations.first(), ago(1), description=others
    )

    datarequests.erase_person(wren, org.hr)

    note.refresh_from_db()
    assert note.description == others


# The erasure as a background task -----------------------------------------------------------


def erase_url(person):
    return reverse("admin:assessments_employee_erase", args=[person.pk])


def change_url(person):
    return reverse("admin:assessments_employee_change", args=[person.pk])


def job_url(job):
    return reverse("admin:jobs_job_progress", args=[job.pk])


def erasures():
    return Job.objects.filter(kind=Job.Kind.PERSON_ERASURE).order_by("id")


def test_the_confirmed_erasure_runs_as_a_task_whose_page_says_what_was_erased(client, org, wren):
    leaver(wren)
    client.force_login(org.hr)

    response = client.post(erase_url(wren), {"confirm": "on"})

    (job,) = erasures()
    assert response.status_code == 302
    assert response["Location"] == job_url(job)
    assert job.status == Job.Status.SUCCEEDED
    assert job.requested_by == org.hr
    assert job.params == {"employee": wren.pk}
    # The task is named by the record's id: the list of tasks never shows their name.
    assert job.title == f"Erase person #{wren.pk}"
    assert (job.result_url, job.result_label) == (change_url(wren), "Open their record")
    page = client.get(response["Location"]).content.decode()
    assert f"Erased: this record is now Erased person #{wren.pk}" in page
    assert (
        "their sign-in can never be used again, and the texts of 2 level-history entries, "
        "3 evidence items, 1 review and 1 nomination read “(erased)”"
    ) in page
    assert f'href="{change_url(wren)}"' in page
    assert "Wren" not in page
    wren.refresh_from_db()
    assert datarequests.is_erased(wren)
    entry = LogEntry.objects.filter(object_id=str(wren.pk)).latest("action_time", "id")
    assert (entry.user, entry.change_message) == (
        org.hr,
        "Erased their personal data (data request).",
    )


def test_the_task_reports_its_stages_and_each_table_searched(org, wren, monkeypatch):
    leaver(wren)
    reported = []
    write = runner.Progress.__call__

    def record(progress, done, total, stage):
        reported.append((done, total, stage))
        write(progress, done, total, stage)

    monkeypatch.setattr(runner.Progress, "__call__", record)

    job, started = datarequests.start_erasure(wren, by=org.hr)

    assert started
    tables = len(datarequests._searched_models())
    assert tables > 20  # every table with a text column, not just the people's
    assert reported[0] == (0, 0, "Replacing their records")
    searched = [(done, total) for done, total, stage in reported[1:]]
    assert {stage for _, _, stage in reported[1:]} == {"Looking for their name in every table"}
    assert searched == [(done, tables) for done in range(tables + 1)]
    job.refresh_from_db()
    assert (job.done, job.total, job.stage) == (
        tables,
        tables,
        "Looking for their name in every table",
    )


def test_a_failure_changes_nothing_and_says_so(client, org, wren, monkeypatch):
    leaver(wren)
    client.force_login(org.hr)
    before, entries = every_text(), LogEntry.objects.count()
    search = datarequests._replace_in_table
    searched = []

    def fail_halfway(model, *args):
        searched.append(model)
        if len(searched) > 5:  # some tables were written already
            raise RuntimeError("disk full")
        return search(model, *args)

    monkeypatch.setattr(datarequests, "_replace_in_table", fail_halfway)

    response = client.post(erase_url(wren), {"confirm": "on"}, follow=True)

    (job,) = erasures()
    assert job.status == Job.Status.FAILED
    assert job.message == runner.UNEXPECTED
    assert "nothing was changed" in response.content.decode()
    assert "This task failed." in response.content.decode()
    # Nothing half-written: not their record, their texts, their sign-in or other tables.
    texts = every_text()
    job_table = Job._meta.db_table
    assert {k: v for k, v in texts.items() if k[0] != job_table} == {
        k: v for k, v in before.items() if k[0] != job_table
    }
    assert LogEntry.objects.count() == entries
    wren.refresh_from_db()
    assert wren.full_name == NAME
    assert wren.user.has_usable_password()


def test_someone_made_active_before_the_task_runs_is_refused_with_the_reason(org, wren):
    before = every_text()

    job, _ = datarequests.start_erasure(wren, by=org.hr)  # as if re-activated meanwhile

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message.startswith("Nothing was erased: ")
    assert "still active" in job.message
    assert job.result_url == change_url(wren)
    texts = every_text()
    assert {k: v for k, v in texts.items() if k[0] != Job._meta.db_table} == {
        k: v for k, v in before.items() if k[0] != Job._meta.db_table
    }


def test_an_erasure_waiting_or_running_is_followed_rather_than_started_again(client, org, wren):
    leaver(wren)
    waiting = Job.objects.create(
        kind=Job.Kind.PERSON_ERASURE,
        title=f"Erase person #{wren.pk}",
        requested_by=org.hr,
        params={"employee": wren.pk},
        status=Job.Status.RUNNING,
    )
    client.force_login(org.hr)

    page = client.get(erase_url(wren))
    again = client.post(erase_url(wren), {"confirm": "on"})

    assert page.status_code == again.status_code == 302
    assert page["Location"] == again["Location"] == job_url(waiting)
    assert list(erasures()) == [waiting]
    assert datarequests.start_erasure(wren, by=org.hr) == (waiting, False)
    assert Employee.objects.get(pk=wren.pk).full_name == NAME


def test_a_second_task_for_someone_erased_meanwhile_changes_nothing(org, wren):
    leaver(wren)
    datarequests.start_erasure(wren, by=org.hr)
    before, entries = every_text(), LogEntry.objects.count()
    # Two asked at once: the second waits for the first's lock, then finds them erased.
    second = runner.start(Job.Kind.PERSON_ERASURE, by=org.hr, title="Erase again", employee=wren.pk)

    assert second.status == Job.Status.SUCCEEDED
    assert second.message == f"Erased person #{wren.pk} was erased already: nothing more changed."
    assert LogEntry.objects.count() == entries
    texts = every_text()
    assert {k: v for k, v in texts.items() if k[0] != Job._meta.db_table} == {
        k: v for k, v in before.items() if k[0] != Job._meta.db_table
    }


@pytest.mark.parametrize(
    "who", ["anonymous", "person", "manager", "unrelated_manager", "hr_view_only"]
)
def test_only_hr_who_may_change_people_starts_an_erasure(client, org, wren, who):
    leaver(wren)
    users = {
        "anonymous": None,
        "person": wren.user,
        "manager": org.manager.user,
        "unrelated_manager": org.other_manager.user,
        "hr_view_only": make_hr_user("view_employee"),
    }
    if users[who] is not None:
        client.force_login(users[who])

    response = client.post(erase_url(wren), {"confirm": "on"})

    if who == "hr_view_only":
        assert response.status_code == 403
    else:  # the app's sign-in for nobody signed in (or with a sign-in switched off, as
        # the person who left has), the admin's for the others
        assert response.status_code == 302
        signed_out = who in {"anonymous", "person"}
        login = reverse("login") if signed_out else reverse("admin:login")
        assert response["Location"].startswith(login)
    assert not erasures().exists()
    assert Employee.objects.get(pk=wren.pk).full_name == NAME


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", "login"),
        ("person", "login"),
        ("manager", "admin-login"),
        ("unrelated_manager", "admin-login"),
        ("hr", 200),
    ],
)
def test_only_hr_follows_the_erasure_task(client, org, wren, who, expected):
    leaver(wren)
    job, _ = datarequests.start_erasure(wren, by=org.hr)
    users = {
        "anonymous": None,
        "person": wren.user,  # erased by now: its sign-in is switched off
        "manager": org.manager.user,
        "unrelated_manager": org.other_manager.user,
        "hr": org.hr,
    }
    if users[who] is not None:
        client.force_login(users[who])

    response = client.get(job_url(job))

    if expected in {"login", "admin-login"}:
        assert response.status_code == 302
        login = reverse("login") if expected == "login" else reverse("admin:login")
        assert response["Location"].startswith(login)
    else:
        assert response.status_code == 200
        assert "Erased: this record is now" in response.content.decode()


def test_an_unticked_or_active_erasure_starts_no_task(client, org, wren):
    client.force_login(org.hr)

    active = client.post(erase_url(wren), {"confirm": "on"})
    leaver(wren)
    unticked = client.post(erase_url(wren), {"confirm": ""})

    assert (active.status_code, unticked.status_code) == (409, 400)
    assert not erasures().exists()


# First names --------------------------------------------------------------------------------


def test_the_first_name_alone_is_replaced_in_their_own_records_only(org, wren):
    leaver(wren)
    placeholder = f"Erased person #{wren.pk}"
    # Their record's history: a note written without a "Why:".
    own_entry = LogEntry.objects.log_actions(
        user_id=org.hr.pk,
        queryset=[wren],
        action_flag=2,
        change_message="Moved to the platform team; Wren asked, WREN's call.",
        single_object=True,
    )
    # A copy of their evidence kept under a key the erasure does not know, beside the
    # name of a colleague who shares their first name.
    change = EvidenceChange.objects.filter(evidence__employee=wren).first()
    change.snapshot = {
        **change.snapshot,
        "note": "Wren led the review; Wrenfield office; a wren sang.",
        "author_name": "Wren Colleague",
    }
    change.save(update_fields=["snapshot"])
    # Other people's records: a first name there may be anyone's.
    others = "Wren led the review with Tea."
    theirs = evidence.record_evidence(
        employee=org.teammate,
        expectation=org.teammate.level.expectations.first(),
        by=org.manager.user,
        observed_on=ago(2),
        description=others,
        visibility=Evidence.Visibility.SHARED,
    )
    other_entry = LogEntry.objects.log_actions(
        user_id=org.hr.pk,
        queryset=[org.teammate],
        action_flag=2,
        change_message="Wren asked for this move.",
        single_object=True,
    )

    datarequests.erase_person(wren, org.hr)

    own_entry.refresh_from_db()
    assert own_entry.change_message == (
        f"Moved to the platform team; {placeholder} asked, {placeholder}'s call."
    )
    change.refresh_from_db()
    assert (
        change.snapshot["note"] == f"{placeholder} led the review; Wrenfield office; a wren sang."
    )
    assert change.snapshot["author_name"] == "Wren Colleague"
    theirs.refresh_from_db()
    other_entry.refresh_from_db()
    assert theirs.description == others
    assert other_entry.change_message == "Wren asked for this move."


def test_their_name_written_last_name_first_is_replaced_everywhere(org, wren):
    leaver(wren)
    note = make_evidence(
        org.stranger,
        org.stranger.level.expectations.first(),
        ago(1),
        description="Paired with Erasable, Wren and with Erasable-Smith, Wrenna.",
    )

    datarequests.erase_person(wren, org.hr)

    note.refresh_from_db()
    assert note.description == (
        f"Paired with Erased person #{wren.pk} and with Erasable-Smith, Wrenna."
    )


def test_a_first_name_of_one_letter_is_not_replaced(org):
    person = leaver(place(org.ladder, "jsmith", "J Smith", "pm", manager=org.manager))
    entry = LogEntry.objects.log_actions(
        user_id=org.hr.pk,
        queryset=[person],
        action_flag=2,
        change_message="Plan J agreed.",
        single_object=True,
    )

    datarequests.erase_person(person, org.hr)

    entry.refresh_from_db()
    assert entry.change_message == "Plan J agreed."


# On PostgreSQL, progress is written on a connection of its own ---------------------------------


@needs_postgresql
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "progress"]
)
def test_the_erasure_is_seen_moving_and_never_waits_for_itself(settings, monkeypatch, org, wren):
    """Another connection sees each table searched while the erasure's transaction is
    open, and the task's own row, which progress writes on that other connection, is never
    written by the erasure, even where it names them: it would wait for itself for ever."""
    settings.JOBS_PROGRESS_DATABASE = "progress"
    leaver(wren)
    with connections["progress"].cursor() as cursor:
        cursor.execute("SET lock_timeout = '5s'")  # a wait for itself fails, not hangs
    job = Job.objects.create(
        kind=Job.Kind.PERSON_ERASURE,
        title=f"Erase {NAME}",
        requested_by=org.hr,
        params={"employee": wren.pk},
    )
    seen = []
    report = runner.Progress.__call__

    def report_and_read(progress, done, total, stage):
        report(progress, done, total, stage)
        if connection.in_atomic_block and stage == datarequests.SEARCHING_TABLES:
            seen.append(((stage, done, total), read_elsewhere(job.pk)))

    monkeypatch.setattr(runner.Progress, "__call__", report_and_read)
    monkeypatch.setattr(runner.Progress, "INTERVAL", 0)

    runner.run_job.call(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert len(seen) > 20
    assert [read for _, read in seen] == [written for written, _ in seen]
    assert job.title == f"Erase {NAME}"  # left alone while it ran
    assert mentions(EMAIL, USERNAME, ABOUT_WREN) == []


def read_elsewhere(job_pk):
    """The job's progress as its page reads it: from a connection of its own."""
    seen = []

    def read():
        try:
            seen.append(Job.objects.filter(pk=job_pk).values_list("stage", "done", "total").get())
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    return seen[0]

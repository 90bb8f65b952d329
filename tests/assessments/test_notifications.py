"""Emails: evidence shared with you, a win waiting for your confirmation, a new level."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from assessments import evidence as evidence_services
from assessments import notifications, services
from assessments.models import Employee
from levels.models import Expectation

pytestmark = pytest.mark.django_db

PEOPLE_FILE = Path(__file__).parent.parent / "data" / "people" / "example.csv"


def an_expectation(org):
    return Expectation.objects.filter(level=org.report.level).first()


def record(org, visibility):
    return evidence_services.record_evidence(
        employee=org.report,
        expectation=an_expectation(org),
        by=org.manager.user,
        observed_on=timezone.localdate() - datetime.timedelta(days=1),
        description="Turned the churn analysis into a roadmap.",
        visibility=visibility,
    )


def test_shared_evidence_emails_the_person(org, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(org, "shared")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["report@example.com"]
    assert "Turned the churn analysis into a roadmap." in mailoutbox[0].body
    assert "http://127.0.0.1:8000/me/" in mailoutbox[0].body


def test_private_evidence_sends_nothing(org, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(org, "private")

    assert mailoutbox == []


def test_a_win_emails_the_manager(org, mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://ladder.example.com/"
    with django_capture_on_commit_callbacks(execute=True):
        evidence_services.log_win(
            employee=org.report,
            expectation=an_expectation(org),
            by=org.report.user,
            observed_on=timezone.localdate(),
            description="Cut onboarding time in half.",
        )

    assert [m.to for m in mailoutbox] == [["manager@example.com"]]
    assert mailoutbox[0].subject == "Remi Report logged a win for you to confirm"
    assert f"https://ladder.example.com/people/{org.report.pk}/" in mailoutbox[0].body


def test_nothing_is_sent_when_the_change_is_rolled_back(org, mailoutbox):
    from django.db import transaction

    with transaction.atomic():
        record(org, "shared")
        transaction.set_rollback(True)

    assert mailoutbox == []


def test_a_failing_mail_server_does_not_break_the_action(
    org, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("assessments.notifications.send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        item = record(org, "shared")

    assert item.pk
    assert "Could not send" in caplog.text


def test_sharing_a_review_emails_the_person(org, mailoutbox, django_capture_on_commit_callbacks):
    from assessments import reviews

    review = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    review = reviews.save_review(
        review=review,
        ratings={rating.pk: ("meets", "") for rating in review.ratings.all()},
        readiness="ready",
        summary="Solid",
        version=review.version,
        by=org.manager.user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        reviews.share_review(review=review, by=org.manager.user)

    assert [m.to for m in mailoutbox] == [["report@example.com"]]
    assert f"/reviews/{review.pk}/" in mailoutbox[0].body


def test_the_database_allows_one_draft_per_person_and_level(org):
    from django.db import IntegrityError, transaction

    from assessments.models import Review

    fields = {"employee": org.report, "target_level": org.report.level, "target_level_name": "PM"}
    Review.objects.create(**fields)
    Review.objects.create(**fields, status=Review.Status.SHARED)  # not a draft: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(**fields)


def test_acknowledging_a_review_emails_its_author(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    from assessments import reviews

    review = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    review = reviews.save_review(
        review=review,
        ratings={rating.pk: ("meets", "") for rating in review.ratings.all()},
        readiness="ready",
        summary="Solid",
        version=review.version,
        by=org.manager.user,
    )
    review = reviews.share_review(review=review, by=org.manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        reviews.acknowledge_review(review=review, by=org.report.user, comment="Thanks, agreed")

    assert [m.to for m in mailoutbox] == [["manager@example.com"]]
    assert "Thanks, agreed" in mailoutbox[0].body


# A new level, from the Assign level page ---------------------------------------------------


def assign_on_the_page(org, client, **overrides):
    track = org.report.track
    data = {
        "placement": f"{track.pk}:{org.ladder.levels.get(key='senior-pm').pk}",
        "effective_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "rationale": "Ran the pricing launch end to end; the evidence spans eight months.",
        "based_on": org.report.assignments.order_by("-effective_on", "-id").first().pk,
        **overrides,
    }
    return client.post(reverse("assessments:assign_level", kwargs={"pk": org.report.pk}), data)


def test_a_new_level_emails_the_person_and_their_manager_a_copy(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://ladder.example.com/"
    with django_capture_on_commit_callbacks(execute=True):
        response = assign_on_the_page(
            org, as_user(org.boss.user), update_title="on", job_title="Senior PM, Pricing"
        )

    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["report@example.com"], ["manager@example.com"]]
    person, copy = mailoutbox
    effective = date_format(timezone.localdate() - datetime.timedelta(days=3), "j F Y")
    assert person.subject == "Your level is now Senior Product Manager"
    assert copy.subject == "Remi Report is now Senior Product Manager"
    for message in mailoutbox:
        assert "Bo Director assigned" in message.body
        assert "Senior Product Manager (L5)" in message.body
        assert "Individual Contributor" in message.body
        assert effective in message.body
        assert "the evidence spans eight months" in message.body
        assert "Job title:  Senior PM, Pricing" in message.body
    assert "https://ladder.example.com/me/" in person.body
    assert f"https://ladder.example.com/people/{org.report.pk}/" in copy.body
    assert "Hello Remi Report" in person.body
    assert "Hello Mina Manager" in copy.body


def test_a_kept_title_is_not_mentioned_and_the_manager_reads_what_they_did(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assign_on_the_page(org, as_user(org.manager.user))

    person, copy = mailoutbox
    assert all("Job title" not in message.body for message in mailoutbox)
    assert "Mina Manager assigned you a new level" in person.body
    assert "you assigned Remi Report a new level" in copy.body  # the manager acted


def test_nobody_without_an_email_is_written_to(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    Employee.objects.filter(pk=org.manager.pk).update(email="")
    with django_capture_on_commit_callbacks(execute=True):
        assign_on_the_page(org, as_user(org.hr))

    assert [m.to for m in mailoutbox] == [["report@example.com"]]


def test_someone_without_a_manager_gets_the_email_alone(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    Employee.objects.filter(pk=org.report.pk).update(manager=None)
    with django_capture_on_commit_callbacks(execute=True):
        assign_on_the_page(org, as_user(org.hr))

    assert [m.to for m in mailoutbox] == [["report@example.com"]]


@pytest.mark.parametrize(
    "overrides",
    [
        {"rationale": ""},  # refused by the form
        {"update_title": "on", "job_title": "Senior PM\x1b[2J"},  # refused by the service
        {"based_on": "0"},  # a stale page: someone assigned a level since
    ],
)
def test_nothing_is_sent_when_the_level_is_refused(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks, overrides
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = assign_on_the_page(org, as_user(org.manager.user), **overrides)

    assert response.status_code in {400, 409}
    assert callbacks == []
    assert mailoutbox == []


def test_nothing_is_sent_to_a_person_refused_the_page(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = assign_on_the_page(org, as_user(org.report.user))

    assert response.status_code == 403
    assert mailoutbox == []


def test_the_service_alone_sends_nothing(org, mailoutbox, django_capture_on_commit_callbacks):
    """Promotion rounds assign levels through the service and email their own outcome."""
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_level(
            employee=org.report,
            level=org.ladder.levels.get(key="senior-pm"),
            track=org.report.track,
            effective_on=timezone.localdate(),
            by=org.manager.user,
            rationale="Promoted in a round.",
        )

    assert mailoutbox == []


# Suppressed while seeding, and links to where the app is served --------------------------


def test_nothing_is_sent_from_inside_suppressed(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with notifications.suppressed():
            record(org, "shared")
        record(org, "shared")  # after the block, email is sent again

    assert len(mailoutbox) == 1


def test_invitations_from_the_command_link_to_site_url(default_ladder, settings, mailoutbox):
    settings.SITE_URL = "http://127.0.0.1:8080"
    settings.DEBUG = True
    call_command(
        "import_people", str(PEOPLE_FILE), "--invite", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert mailoutbox
    assert all("http://127.0.0.1:8080/accounts/reset/" in m.body for m in mailoutbox)


def test_invitations_link_to_a_configured_site_url_in_production(
    default_ladder, settings, mailoutbox
):
    settings.SITE_URL = "https://ladder.example.org"
    settings.ALLOWED_HOSTS = ["app.internal"]
    call_command(
        "import_people", str(PEOPLE_FILE), "--invite", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert all("https://ladder.example.org/accounts/reset/" in m.body for m in mailoutbox)


def test_without_site_url_production_invitations_use_allowed_hosts(
    default_ladder, settings, mailoutbox
):
    settings.SITE_URL = "http://127.0.0.1:8000"  # the default: not where people reach it
    settings.ALLOWED_HOSTS = ["ladder.example.org"]
    call_command(
        "import_people", str(PEOPLE_FILE), "--invite", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert all("https://ladder.example.org/accounts/reset/" in m.body for m in mailoutbox)

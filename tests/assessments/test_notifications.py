"""Emails: evidence shared with you, a win waiting for your confirmation."""

import datetime

import pytest
from django.utils import timezone

from assessments import evidence as evidence_services
from levels.models import Expectation

pytestmark = pytest.mark.django_db


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

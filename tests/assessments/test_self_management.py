"""Nobody acts as a manager on their own record: HR and superusers who are also employees
cannot assign their own level, confirm their own wins, review themselves, print their own
packet or read the draft their manager is writing about them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from assessments import access, evidence, reviews, services
from assessments.models import Evidence, LevelAssignment, Review

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["hr_on_ladder", "superuser_on_ladder"])
def himself(request):
    """An employee with every right over everyone else: HR, or a superuser."""
    return request.getfixturevalue(request.param)


def url(name, pk):
    return reverse(f"assessments:{name}", kwargs={"pk": pk})


def test_cannot_assign_their_own_level_on_the_page(org, himself, as_user, caplog):
    client = as_user(himself.user)
    before = LevelAssignment.objects.filter(employee=himself).count()
    senior = org.ladder.levels.get(key="staff-pm")

    page = client.get(url("assign_level", himself.pk))
    response = client.post(
        url("assign_level", himself.pk),
        {
            "placement": f"{himself.track_id}:{senior.pk}",
            "effective_on": timezone.localdate().isoformat(),
            "rationale": "I deserve it",
            "based_on": himself.assignments.first().pk,
        },
    )

    assert (page.status_code, response.status_code) == (403, 403)
    assert "Nobody acts as a manager on their own record" in caplog.text
    himself.refresh_from_db()
    assert LevelAssignment.objects.filter(employee=himself).count() == before


def test_cannot_assign_their_own_level_through_the_service(org, himself):
    with pytest.raises(PermissionDenied):
        services.assign_level(
            employee=himself,
            level=org.ladder.levels.get(key="staff-pm"),
            track=himself.track,
            effective_on=timezone.localdate(),
            by=himself.user,
        )


def test_can_still_assign_other_peoples_levels(org, himself, as_user):
    senior = org.ladder.levels.get(key="senior-pm")

    response = as_user(himself.user).post(
        url("assign_level", org.stranger.pk),
        {
            "placement": f"{org.stranger.track_id}:{senior.pk}",
            "effective_on": timezone.localdate().isoformat(),
            "rationale": "Ran the launch.",
            "based_on": org.stranger.assignments.first().pk,
        },
    )

    assert response.status_code == 302
    org.stranger.refresh_from_db()
    assert org.stranger.level == senior


def _own_win(employee):
    expectation = employee.level.expectations.first()
    return evidence.log_win(
        employee=employee,
        expectation=expectation,
        by=employee.user,
        observed_on=timezone.localdate() - datetime.timedelta(days=3),
        description="Shipped the thing.",
    )


def test_cannot_confirm_their_own_win(himself, as_user):
    win = _own_win(himself)

    response = as_user(himself.user).post(url("evidence_confirm", win.pk))
    with pytest.raises(PermissionDenied):
        evidence.confirm_win(evidence=win, by=himself.user)

    assert response.status_code == 403
    win.refresh_from_db()
    assert win.status == Evidence.Status.PENDING


def test_their_manager_confirms_it(org, himself):
    win = _own_win(himself)

    evidence.confirm_win(evidence=win, by=org.boss.user)

    win.refresh_from_db()
    assert win.status == Evidence.Status.CONFIRMED


def test_cannot_record_manager_evidence_or_start_a_review_about_themselves(himself, as_user):
    client = as_user(himself.user)

    start = client.get(url("review_start", himself.pk))
    with pytest.raises(PermissionDenied):
        reviews.start_review(employee=himself, target_level=himself.level, by=himself.user)
    with pytest.raises(PermissionDenied):
        evidence.record_evidence(
            employee=himself,
            expectation=himself.level.expectations.first(),
            by=himself.user,
            observed_on=timezone.localdate(),
            description="Great work by me.",
            visibility=Evidence.Visibility.PRIVATE,
        )

    assert start.status_code == 403
    # The evidence page is the win form for them: shared, waiting for their manager.
    page = client.get(url("evidence_new", himself.pk))
    assert page.status_code == 200
    assert page.context["own_win"] is True


def test_the_draft_their_manager_writes_stays_hidden_from_them(org, himself, as_user):
    draft = reviews.start_review(employee=himself, target_level=himself.level, by=org.boss.user)
    reviews.save_review(
        review=draft,
        ratings={},
        readiness=Review.Readiness.NOT_READY,
        summary="Private thoughts on Harriet.",
        version=1,
        by=org.boss.user,
    )
    client = as_user(himself.user)

    pages = [
        client.get(url("person", himself.pk)),
        client.get(reverse("assessments:me")),
    ]
    review_page = client.get(url("review", draft.pk))
    packet = client.get(url("packet", himself.pk))

    for page in pages:
        assert page.status_code == 200
        assert "Private thoughts on Harriet" not in page.content.decode()
        assert draft not in page.context["reviews"]
    assert review_page.status_code == 404
    assert packet.status_code == 403


def test_hr_reads_other_peoples_shared_reviews_but_not_drafts_in_the_app(org, hr_on_ladder):
    draft = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )

    assert not access.can(hr_on_ladder.user, access.VIEW, draft)
    assert access.can(hr_on_ladder.user, access.VIEW, org.report)
    assert access.can(hr_on_ladder.user, access.MANAGE, org.report)
    assert not access.can(hr_on_ladder.user, access.MANAGE, hr_on_ladder)


def test_restrict_and_can_agree_for_every_user_action_and_object(org, hr_on_ladder):
    """The queryset rule and the single-object rule are one rule, for people, evidence and
    reviews, including HR on the ladder and a deactivated person."""
    from assessments.models import Employee

    from ..factories import UserFactory

    _own_win(org.report)
    evidence.record_evidence(
        employee=org.report,
        expectation=org.report.level.expectations.first(),
        by=org.manager.user,
        observed_on=timezone.localdate(),
        description="Private note.",
        visibility=Evidence.Visibility.PRIVATE,
    )
    reviews.start_review(employee=org.report, target_level=org.report.level, by=org.manager.user)
    services.deactivate_employee(employee=org.teammate)
    users = [
        org.hr,
        org.outsider,
        hr_on_ladder.user,
        UserFactory(username="staffonly", is_staff=True),
        *(e.user for e in Employee.objects.select_related("user")),
    ]
    cases = [
        (Employee, [access.VIEW, access.MANAGE]),
        (Evidence, [access.VIEW, access.CHANGE, access.DECIDE]),
        (Review, [access.VIEW, access.CHANGE, access.ACKNOWLEDGE]),
    ]
    assert Evidence.objects.count() == 2  # a pending win, a private note
    for user in users:
        for model, actions in cases:
            for action in actions:
                fresh = type(user).objects.get(pk=user.pk)
                allowed = set(access.restrict(model.objects.all(), fresh, action))
                for obj in model.objects.all():
                    fresh = type(user).objects.get(pk=user.pk)
                    assert access.can(fresh, action, obj) == (obj in allowed), (
                        user.username,
                        model.__name__,
                        action,
                        obj,
                    )

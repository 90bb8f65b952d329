"""Finalising a round: every *promote* becomes a level assignment dated the round's
effective date, all at once or not at all, only once; then each person and their manager
get an email, and the person sees their outcome from that moment, not before."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments import access
from assessments import services as people
from assessments.models import Employee, LevelAssignment
from rounds import services
from rounds.models import Nomination, NominationChange, Round

from ..factories import make_round

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def cases(ladder):
    return {criterion.pk: "A clear case." for criterion in ladder.promotion_criteria.all()}


def put_forward(round, employee, by, target):
    return services.nominate(
        round=round,
        employee=employee,
        target_level=employee.ladder.levels.get(key=target),
        target_track=employee.track,
        cases=cases(employee.ladder),
        by=by,
    )


def decide(nomination, decision="promote", rationale="Ready on every count."):
    return services.decide(
        nomination=nomination,
        by=nomination.round.created_by,
        decision=decision,
        rationale=rationale,
        feedback=f"Feedback for {nomination.employee}.",
        discussion="Committee notes.",
    )


def levels(org):
    """Each candidate's level as the database has it."""
    candidates = Employee.objects.filter(pk__in=[org.report.pk, org.stranger.pk, org.teammate.pk])
    return {e.full_name: e.level.key for e in candidates.select_related("level")}


@pytest.fixture
def decided(org):
    """A round dated today with the boss on its committee, calibrating: the report (by
    the manager) and the stranger (by theirs) to be promoted, the teammate not this
    round."""
    round = make_round(
        by=org.hr, nomination_deadline=TODAY, calibration_on=TODAY, effective_on=TODAY
    )
    round.committee.set([org.boss.user])
    report = put_forward(round, org.report, org.manager.user, "senior-pm")
    stranger = put_forward(round, org.stranger, org.other_manager.user, "senior-pm")
    teammate = put_forward(round, org.teammate, org.manager.user, "pm")
    services.close_nominations(round=round, by=org.hr)
    round.refresh_from_db()
    nominations = SimpleNamespace(report=report, stranger=stranger, teammate=teammate)
    for nomination in (report, stranger, teammate):
        nomination.refresh_from_db()
    decide(report, rationale="Led the pricing work.")
    decide(stranger, rationale="Owns two teams' roadmap.")
    decide(teammate, "not_this_round", "Six more months of evidence.")
    return SimpleNamespace(round=round, n=nominations, org=org)


def assignments_today():
    return LevelAssignment.objects.filter(effective_on=TODAY).exclude(
        rationale=people.PLACED_RATIONALE
    )


def test_finalising_writes_one_assignment_per_promotion(decided, org):
    before = LevelAssignment.objects.count()

    result = services.finalise(round=decided.round, by=org.hr)

    assert not result.already
    assert {n.employee.full_name for n in result.promoted} == {"Remi Report", "Stan Stranger"}
    assert LevelAssignment.objects.count() == before + 2
    written = {a.employee.full_name: a for a in assignments_today().select_related("employee")}
    assert set(written) == {"Remi Report", "Stan Stranger"}
    for name, rationale in (
        ("Remi Report", "Led the pricing work."),
        ("Stan Stranger", "Owns two teams' roadmap."),
    ):
        assignment = written[name]
        assert (assignment.effective_on, assignment.assigned_by, assignment.level.key) == (
            decided.round.effective_on,
            org.hr,
            "senior-pm",
        )
        assert rationale in assignment.rationale
        assert decided.round.name in assignment.rationale
    assert levels(org) == {
        "Remi Report": "senior-pm",
        "Stan Stranger": "senior-pm",
        "Tea Mate": "apm",  # not this round: unchanged, no assignment
    }
    assert org.teammate.assignments.count() == 1
    saved = Round.objects.get(pk=decided.round.pk)
    assert (saved.state, saved.finalised_by) == (Round.State.FINALISED, org.hr)
    assert saved.finalised_at is not None
    assert NominationChange.objects.filter(action="finalised", changed_by=org.hr).count() == 3


@pytest.mark.parametrize(
    "failure", [ValidationError("The ladder changed under us."), RuntimeError("Database gone.")]
)
def test_finalising_is_all_or_nothing(
    decided, org, monkeypatch, failure, mailoutbox, django_capture_on_commit_callbacks
):
    real = people.assign_level
    calls = []

    def second_fails(**kwargs):
        calls.append(kwargs["employee"].full_name)
        if len(calls) == 2:
            raise failure
        return real(**kwargs)

    monkeypatch.setattr("assessments.services.assign_level", second_fails)
    before = LevelAssignment.objects.count()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(type(failure)):
        services.finalise(round=decided.round, by=org.hr)

    assert len(calls) == 2  # the first promotion was written, then undone
    assert LevelAssignment.objects.count() == before
    assert not assignments_today().exists()
    assert levels(org) == {"Remi Report": "pm", "Stan Stranger": "pm", "Tea Mate": "apm"}
    saved = Round.objects.get(pk=decided.round.pk)
    assert (saved.state, saved.finalised_at, saved.finalised_by) == ("calibrating", None, None)
    assert not NominationChange.objects.filter(action="finalised").exists()
    assert mailoutbox == []


def test_finalising_twice_writes_nothing_more(
    decided, org, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.finalise(round=decided.round, by=org.hr)
    counts = (LevelAssignment.objects.count(), NominationChange.objects.count(), len(mailoutbox))

    with django_capture_on_commit_callbacks(execute=True):
        again = services.finalise(round=decided.round, by=org.hr)

    assert again.already
    assert {n.employee.full_name for n in again.promoted} == {"Remi Report", "Stan Stranger"}
    assert (
        LevelAssignment.objects.count(),
        NominationChange.objects.count(),
        len(mailoutbox),
    ) == counts
    assert levels(org)["Remi Report"] == "senior-pm"


def test_every_nomination_is_decided_first(decided, org):
    Nomination.objects.filter(pk__in=[decided.n.report.pk, decided.n.teammate.pk]).update(
        decision=""
    )

    with pytest.raises(ValidationError) as refused:
        services.finalise(round=decided.round, by=org.hr)

    message = " ".join(refused.value.messages)
    assert "Remi Report" in message
    assert "Tea Mate" in message
    assert "Stan Stranger" not in message
    assert not assignments_today().exists()
    assert Round.objects.get(pk=decided.round.pk).state == "calibrating"


def test_not_before_the_effective_date(org):
    round = make_round(
        by=org.hr,
        state="calibrating",
        nomination_deadline=TODAY - datetime.timedelta(days=7),
        calibration_on=TODAY,
        effective_on=TODAY + datetime.timedelta(days=1),
    )

    with pytest.raises(ValidationError, match="on or after that day"):
        services.finalise(round=round, by=org.hr)
    assert Round.objects.get(pk=round.pk).state == "calibrating"


def test_a_level_changed_since_the_nomination_is_decided_again(decided, org):
    people.assign_level(
        employee=org.report,
        level=org.ladder.levels.get(key="senior-pm"),
        track=org.report.track,
        effective_on=TODAY - datetime.timedelta(days=1),
        by=org.boss.user,
        rationale="Promoted outside the round.",
    )

    with pytest.raises(ValidationError, match="level changed since the nomination"):
        services.finalise(round=decided.round, by=org.hr)

    assert not LevelAssignment.objects.filter(employee=org.stranger, effective_on=TODAY).exists()
    assert levels(org)["Stan Stranger"] == "pm"
    assert Round.objects.get(pk=decided.round.pk).state == "calibrating"


def test_hr_nominated_in_the_round_does_not_finalise_it(decided, org, hr_on_ladder):
    # Nominated before nominations closed, decided by someone else.
    nomination = Nomination.objects.create(
        round=decided.round,
        employee=hr_on_ladder,
        from_level=hr_on_ladder.level,
        target_level=org.ladder.levels.get(key="senior-pm"),
        target_track=hr_on_ladder.track,
        nominated_by=org.boss.user,
    )
    decide(nomination, "not_this_round", "Not yet.")

    with pytest.raises(PermissionDenied, match="nominated in this round"):
        services.finalise(round=decided.round, by=hr_on_ladder.user)
    assert Round.objects.get(pk=decided.round.pk).state == "calibrating"
    assert not assignments_today().exists()

    services.finalise(round=decided.round, by=org.hr)
    assert Round.objects.get(pk=decided.round.pk).state == "finalised"


@pytest.mark.parametrize("who", ["manager", "boss", "report"])
def test_nobody_but_hr_finalises(decided, org, who):
    by = getattr(org, who).user
    with pytest.raises(PermissionDenied):
        services.finalise(round=decided.round, by=by)
    assert Round.objects.get(pk=decided.round.pk).state == "calibrating"
    assert not assignments_today().exists()


def test_each_person_and_their_manager_are_told_after_commit(
    decided, org, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.finalise(round=decided.round, by=org.hr)
        assert mailoutbox == []  # nothing before the commit

    sent = sorted((message.to[0], message.subject) for message in mailoutbox)
    round = decided.round.name
    assert sent == sorted(
        [
            ("report@example.com", f"Your outcome in {round}"),
            ("manager@example.com", f"Remi Report's outcome in {round}"),
            ("stranger@example.com", f"Your outcome in {round}"),
            ("other@example.com", f"Stan Stranger's outcome in {round}"),
            ("teammate@example.com", f"Your outcome in {round}"),
            ("manager@example.com", f"Tea Mate's outcome in {round}"),
        ]
    )
    body = next(m.body for m in mailoutbox if m.to == ["report@example.com"])
    assert "Committee notes." not in body


def test_nobody_is_told_when_finalising_fails(
    decided, org, mailoutbox, django_capture_on_commit_callbacks
):
    Nomination.objects.filter(pk=decided.n.teammate.pk).update(decision="")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.finalise(round=decided.round, by=org.hr)
    assert mailoutbox == []


def sight(user, nomination):
    nomination = Nomination.objects.select_related("round", "employee").get(pk=nomination.pk)
    return access.sight(user, nomination)


def test_decisions_stay_hidden_until_finalised(decided, org):
    report, nomination = org.report.user, decided.n.report

    assert access.OUTCOME not in sight(report, nomination)
    assert sight(org.manager.user, nomination) == {access.CASE, access.PACKET}
    assert access.DELIBERATION in sight(org.boss.user, nomination)  # on the committee
    assert not access.can(report, access.VIEW, Nomination.objects.get(pk=nomination.pk))

    services.finalise(round=decided.round, by=org.hr)

    # Promoted: the rationale is also the reason their level history gives.
    assert sight(report, nomination) == {access.OUTCOME, access.RATIONALE}
    assert access.can(report, access.VIEW, Nomination.objects.get(pk=nomination.pk))
    assert sight(org.manager.user, nomination) == {
        access.CASE,
        access.PACKET,
        access.OUTCOME,
        access.RATIONALE,
    }
    for state_nomination in (decided.n.report, decided.n.teammate):
        person = state_nomination.employee.user
        seen = sight(person, state_nomination)
        assert access.DELIBERATION not in seen
    # Not promoted: the committee's reasons stay with the committee and the managers.
    assert access.RATIONALE not in sight(org.teammate.user, decided.n.teammate)

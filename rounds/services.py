"""Writes about promotion rounds: opening, nominating, endorsing, deciding, finalising.

Every write asks `assessments.access` first and takes the round's row lock
(`select_for_update`; on SQLite every write transaction is exclusive), so a nomination
cannot slip in while nominations close, nor a decision change while the round finalises.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from assessments import access, readiness
from assessments import services as people_services
from assessments.models import Employee
from pmladder.validators import multi_line, single_line

from . import notifications, selectors
from .models import Endorsement, Nomination, NominationChange, Round

CASE_MAX = 1500
NAME_MAX = Round._meta.get_field("name").max_length
# What `update_round` changes besides the ladders and the committee: never the state or
# the history, which only the state changes below write.
EDITABLE = {
    "name",
    "nomination_deadline",
    "calibration_on",
    "effective_on",
    "org_root",
    "self_nomination",
}
STALE_DECISION = (
    "This decision was saved again after you opened the page (by someone else, or by you in "
    "another window). The saved version is shown below; your text is kept in the boxes: "
    "check it and save again."
)
PAST_DEADLINE = "The nomination deadline has passed: choose today or a later day."


def _locked(round):
    return Round.objects.select_for_update().get(pk=round.pk)


def _record(nomination, action, by, **details):
    NominationChange.objects.create(
        nomination=nomination,
        action=action,
        changed_by=by,
        changed_by_name=selectors.person_name(by),
        details=details,
    )


# Rounds --------------------------------------------------------------------------------------


def check_round(*, name, nomination_deadline, calibration_on, effective_on, org_root=None):
    """Refuse a round whose dates are out of order or whose part of the organisation is a
    person who has left; by field."""
    errors = {}
    if not name.strip():
        errors["name"] = "Give the round a name, e.g. “H1 2027 promotions”."
    elif len(name.strip()) > NAME_MAX:
        errors["name"] = f"Keep the name under {NAME_MAX} characters."
    else:
        try:
            single_line(name)
        except ValidationError as error:
            errors["name"] = error.messages
    if calibration_on < nomination_deadline:
        errors["calibration_on"] = "Calibration comes on or after the nomination deadline."
    if effective_on < calibration_on:
        errors["effective_on"] = "Promotions take effect on or after the calibration date."
    if org_root is not None and not org_root.is_active:
        errors["org_root"] = f"{org_root} has left; choose someone still here."
    if errors:
        raise ValidationError(errors)


def _require(by, round, action=access.RUN):
    if not access.can(by, action, round):
        raise PermissionDenied("Only HR runs promotion rounds.")


@transaction.atomic
def create_round(
    *,
    by,
    name,
    nomination_deadline,
    calibration_on,
    effective_on,
    ladders=(),
    org_root=None,
    committee=None,
    self_nomination=False,
):
    """A new round in draft. Without a `committee`, HR and the managers of managers it
    covers (`selectors.default_committee`)."""
    if not access.is_hr(by):
        raise PermissionDenied("Only HR runs promotion rounds.")
    if nomination_deadline < selectors.today():
        raise ValidationError({"nomination_deadline": PAST_DEADLINE})
    check_round(
        name=name,
        nomination_deadline=nomination_deadline,
        calibration_on=calibration_on,
        effective_on=effective_on,
        org_root=org_root,
    )
    round = Round.objects.create(
        name=name.strip(),
        nomination_deadline=nomination_deadline,
        calibration_on=calibration_on,
        effective_on=effective_on,
        org_root=org_root,
        self_nomination=self_nomination,
        created_by=by,
    )
    round.ladders.set(ladders)
    if committee is None:
        committee = selectors.default_committee(ladders=ladders, org_root=org_root)
    round.committee.set(committee)
    return round


@transaction.atomic
def update_round(*, round, by, ladders=None, committee=None, **fields):
    """Change a round's name, dates, scope, committee or settings until it is finalised.
    Its scope is fixed once nominations close: the candidates are known by then."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"update_round() cannot change {', '.join(sorted(unknown))}.")
    round = _locked(round)
    _require(by, round)
    if round.state == Round.State.FINALISED:
        raise ValidationError("A finalised round is read-only.")
    scope_fields = {"org_root"} & set(fields)
    if round.state == Round.State.CALIBRATING and (scope_fields or ladders is not None):
        if ladders is not None and set(ladders) == set(round.ladders.all()):
            ladders = None
        same_root = fields.get("org_root", round.org_root) == round.org_root
        if ladders is not None or not same_root:
            raise ValidationError("Nominations have closed: the round's scope is fixed now.")
    deadline = fields.get("nomination_deadline", round.nomination_deadline)
    still_open = round.state in (Round.State.DRAFT, Round.State.NOMINATING)
    if still_open and deadline != round.nomination_deadline and deadline < selectors.today():
        raise ValidationError({"nomination_deadline": PAST_DEADLINE})
    for name, value in fields.items():
        setattr(round, name, value)
    check_round(
        name=round.name,
        nomination_deadline=round.nomination_deadline,
        calibration_on=round.calibration_on,
        effective_on=round.effective_on,
        org_root=round.org_root if "org_root" in fields else None,
    )
    round.name = round.name.strip()
    round.save()
    if ladders is not None:
        round.ladders.set(ladders)
    if committee is not None:
        round.committee.set(committee)
    return round


@transaction.atomic
def open_nominations(*, round, by):
    """Draft → taking nominations."""
    round = _locked(round)
    _require(by, round)
    if round.state != Round.State.DRAFT:
        raise ValidationError(f"{round} is already {round.get_state_display().lower()}.")
    if round.nomination_deadline < selectors.today():
        raise ValidationError(
            "The nomination deadline has passed: move it to today or later first."
        )
    round.state = Round.State.NOMINATING
    round.save(update_fields=["state"])
    return round


@transaction.atomic
def close_nominations(*, round, by):
    """Taking nominations → calibrating: each nomination's packet is frozen as it stands,
    for the committee to decide on."""
    round = _locked(round)
    _require(by, round)
    if round.state != Round.State.NOMINATING:
        raise ValidationError(f"{round} is not taking nominations.")
    nominations = list(
        round.nominations.select_related(
            "target_level",
            "target_track",
            "employee__ladder",
            "employee__level",
            "employee__track",
            "employee__manager",
        )
    )
    expectations, criteria = {}, {}  # per target level and per ladder, read once
    for nomination in nominations:
        level = nomination.target_level
        if level.pk not in expectations:
            expectations[level.pk] = readiness.expectations_of(level)
        if level.ladder_id not in criteria:
            criteria[level.ladder_id] = list(level.ladder.promotion_criteria.all())
        nomination.snapshot = selectors.packet(
            nomination,
            expectations=expectations[level.pk],
            criteria=criteria[level.ladder_id],
        )
    Nomination.objects.bulk_update(nominations, ["snapshot"], batch_size=200)
    NominationChange.objects.bulk_create(
        NominationChange(
            nomination=nomination,
            action=NominationChange.Action.FROZEN,
            changed_by=by,
            changed_by_name=selectors.person_name(by),
        )
        for nomination in nominations
    )
    round.state = Round.State.CALIBRATING
    round.nominations_closed_at = timezone.now()
    round.save(update_fields=["state", "nominations_closed_at"])
    return round


class Finalised:
    """What finalising did: the promotions written (or already written)."""

    def __init__(self, round, promoted, *, already=False):
        self.round, self.promoted, self.already = round, promoted, already


def finalise(*, round, by):
    """Calibrating → finalised: every *promote* becomes a level assignment dated the
    round's effective date, with the decision's rationale, all in one transaction (one
    refusal and nothing is written: every problem is listed); then each person and their
    manager get an email. Finalising a finalised round does nothing more."""
    with transaction.atomic():
        round = _locked(round)
        _require(by, round)
        promote = Nomination.objects.filter(round=round, decision=Nomination.Decision.PROMOTE)
        if round.state == Round.State.FINALISED:
            return Finalised(round, list(promote.select_related("employee")), already=True)
        if round.state != Round.State.CALIBRATING:
            raise ValidationError("Close nominations and calibrate before finalising.")
        if round.effective_on > selectors.today():
            raise ValidationError(
                f"The promotions take effect on {date_format(round.effective_on)}: "
                "finalise the round on or after that day, so every level shown is in force."
            )
        nominations = list(
            round.nominations.select_related(
                "employee__ladder",
                "employee__manager",
                "employee__user",
                "target_level",
                "target_track",
                "from_level",
            )
        )
        if any(access.is_self(by, n.employee) for n in nominations):
            raise PermissionDenied(
                "You are nominated in this round: someone else in HR finalises it."
            )
        undecided = [n.employee.full_name for n in nominations if not n.decision]
        if undecided:
            raise ValidationError(
                f"Decide every nomination first; still open: {', '.join(undecided)}."
            )
        problems, promoted = [], []
        for nomination in nominations:
            if nomination.decision != Nomination.Decision.PROMOTE:
                continue
            employee = nomination.employee
            if employee.level_id != nomination.from_level_id:
                problems.append(
                    f"{employee}'s level changed since the nomination (now {employee.level}); "
                    "decide again."
                )
                continue
            try:
                with transaction.atomic():
                    people_services.assign_level(
                        employee=employee,
                        level=nomination.target_level,
                        track=nomination.target_track,
                        effective_on=round.effective_on,
                        by=by,
                        rationale=f"Promoted in {round.name}. {nomination.rationale}".strip(),
                    )
            except ValidationError as error:
                problems.append(f"{employee}: {' '.join(error.messages)}")
            else:
                promoted.append(nomination)
        if problems:
            raise ValidationError(problems)
        round.state = Round.State.FINALISED
        round.finalised_at, round.finalised_by = timezone.now(), by
        round.save(update_fields=["state", "finalised_at", "finalised_by"])
        NominationChange.objects.bulk_create(
            NominationChange(
                nomination=nomination,
                action=NominationChange.Action.FINALISED,
                changed_by=by,
                changed_by_name=selectors.person_name(by),
                details={"decision": nomination.decision},
            )
            for nomination in nominations
        )
        for nomination in nominations:
            nomination.round = round
            notifications.outcome(nomination)
    return Finalised(round, promoted)


# Nominations ---------------------------------------------------------------------------------


def clean_cases(employee, cases):
    """The case for each of the ladder's promotion criteria, as stored: `cases` maps a
    criterion's pk to its text. Every criterion needs a case; by criterion pk."""
    errors, result = {}, []
    for criterion in employee.ladder.promotion_criteria.all():
        text = (cases.get(criterion.pk) or cases.get(str(criterion.pk)) or "").strip()
        if not text:
            errors[f"case_{criterion.pk}"] = f"Write a short case for {criterion.name}."
        elif len(text) > CASE_MAX:
            errors[f"case_{criterion.pk}"] = f"Keep it under {CASE_MAX} characters."
        else:
            try:
                multi_line(text)
            except ValidationError as error:
                errors[f"case_{criterion.pk}"] = error.messages
        result.append({"criterion": criterion.pk, "name": criterion.name, "case": text})
    if errors:
        raise ValidationError(errors)
    return result


def _check_target(employee, target_level, target_track):
    if target_level is None or target_track is None:
        raise ValidationError({"target": "Choose the level to nominate them for."})
    allowed = {(t.level.pk, t.track.pk) for t in selectors.targets_for(employee)}
    if (target_level.pk, target_track.pk) not in allowed:
        raise ValidationError(
            {"target": f"{target_level} is not a next level for {employee} on that track."}
        )


def nominate(*, round, employee, target_level, target_track, cases, by):
    """Put `employee` forward in `round` for `target_level` on `target_track` (one of
    `selectors.targets_for`), with the case for each criterion."""
    with transaction.atomic():
        round = _locked(round)
        employee = Employee.objects.select_related("ladder", "level", "track").get(pk=employee.pk)
        reason = access.nomination_refusal(by, round, employee)
        if reason is not None:
            raise PermissionDenied(reason[:1].upper() + reason[1:] + ".")
        _check_target(employee, target_level, target_track)
        stored = clean_cases(employee, cases)
        if Nomination.objects.filter(round=round, employee=employee).exists():
            raise ValidationError(f"{employee} is already nominated in {round}.")
        try:
            with transaction.atomic():
                nomination = Nomination.objects.create(
                    round=round,
                    employee=employee,
                    from_level=employee.level,
                    target_level=target_level,
                    target_track=target_track,
                    nominated_by=by,
                    cases=stored,
                )
        except IntegrityError:
            raise ValidationError(f"{employee} is already nominated in {round}.") from None
        _record(nomination, NominationChange.Action.NOMINATED, by, target=target_level.name)
    return nomination


@transaction.atomic
def update_nomination(*, nomination, by, cases, target_level=None, target_track=None):
    """Change the case (and the target level) while the round takes nominations."""
    _locked(nomination.round)
    nomination = Nomination.objects.select_related("round", "employee__ladder").get(
        pk=nomination.pk
    )
    if not access.can(by, access.CHANGE, nomination):
        raise PermissionDenied(
            "Only the people who manage them change a nomination, while "
            "the round takes nominations."
        )
    if target_level is not None or target_track is not None:
        _check_target(nomination.employee, target_level, target_track)
        nomination.target_level, nomination.target_track = target_level, target_track
    nomination.cases = clean_cases(nomination.employee, cases)
    nomination.version += 1
    nomination.save()
    _record(nomination, NominationChange.Action.EDITED, by, target=nomination.target_level.name)
    return nomination


@transaction.atomic
def withdraw(*, nomination, by):
    """Take a nomination back while the round takes nominations: it is deleted, history
    and all, as if it had never been made."""
    _locked(nomination.round)
    nomination = Nomination.objects.select_related("round", "employee").get(pk=nomination.pk)
    if not access.can(by, access.CHANGE, nomination):
        raise PermissionDenied(
            "Only the people who manage them withdraw a nomination, while "
            "the round takes nominations."
        )
    nomination.delete()


@transaction.atomic
def endorse(*, nomination, by, text):
    """A few words backing `nomination` from someone above the person's manager."""
    _locked(nomination.round)
    nomination = Nomination.objects.select_related("round", "employee__manager").get(
        pk=nomination.pk
    )
    if not access.can(by, access.ENDORSE, nomination):
        raise PermissionDenied(
            "Only someone above their manager endorses a nomination, while "
            "the round takes nominations."
        )
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Say in a sentence or two why you back it."})
    multi_line(text)
    if nomination.endorsements.filter(author=by).exists():
        raise ValidationError({"text": "You have already endorsed this nomination."})
    endorsement = Endorsement.objects.create(
        nomination=nomination, author=by, author_name=selectors.person_name(by), text=text
    )
    _record(nomination, NominationChange.Action.ENDORSED, by)
    return endorsement


@transaction.atomic
def decide(*, nomination, by, decision, rationale="", feedback="", discussion="", version=None):
    """Record the committee's decision on `nomination` while the round calibrates, with
    its rationale, the feedback for the person and the committee's notes; every change is
    kept in the history. `version` is the one the page showed: a later change by someone
    else refuses this one as stale."""
    _locked(nomination.round)
    nomination = Nomination.objects.select_related("round", "employee").get(pk=nomination.pk)
    if not access.can(by, access.DECIDE, nomination):
        if access.is_self(by, nomination.employee):
            raise PermissionDenied("Nobody decides their own nomination.")
        raise PermissionDenied("Only HR and the committee decide, while the round calibrates.")
    if version is not None and version != nomination.version:
        raise ValidationError(STALE_DECISION, code="stale")
    errors = {}
    if decision not in Nomination.Decision.values:
        errors["decision"] = "Choose Promote or Not this round."
    if not rationale.strip():
        errors["rationale"] = "Say why, in a sentence or two: it is kept with the decision."
    for field, text in (
        ("rationale", rationale),
        ("feedback", feedback),
        ("discussion", discussion),
    ):
        try:
            multi_line(text)
        except ValidationError as error:
            errors.setdefault(field, error.messages)
    if errors:
        raise ValidationError(errors)
    nomination.decision = decision
    nomination.rationale = rationale.strip()
    nomination.feedback = feedback.strip()
    nomination.discussion = discussion.strip()
    nomination.decided_by, nomination.decided_at = by, timezone.now()
    nomination.version += 1
    nomination.save()
    _record(
        nomination,
        NominationChange.Action.DECIDED,
        by,
        decision=decision,
        rationale=nomination.rationale,
        feedback=nomination.feedback,
        discussion=nomination.discussion,
    )
    return nomination

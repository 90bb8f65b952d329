"""
Evidence: what people did, recorded against the expectations of the ladder.

Managers (anyone above the person) and HR record evidence, shared with the person or
private to the manager chain and HR, that either shows the expectation being met or is a
growth note (a concern or a gap: what to work on). People log their own wins, which always
show an expectation and wait for a manager to confirm or decline them. Authors edit or
delete what they wrote; every change is kept as an `EvidenceChange`. The expectation's
text, category and level are copied onto the evidence, so later edits of the ladder never
rewrite it.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from levels.models import Expectation
from levels.structure import ladder_structure
from pmladder import richtext

from . import access, kept, notifications
from .models import Evidence, EvidenceChange
from .selectors import below_q

MAX_DESCRIPTION = Evidence._meta.get_field("description").max_length
MAX_DECLINE_REASON = Evidence._meta.get_field("decline_reason").max_length
MAX_AGE = datetime.timedelta(days=3 * 366)  # catches typed years like 1926 for 2026
SNAPSHOT_FIELDS = [
    "expectation",
    "expectation_text",
    "observed_on",
    "description",
    "link",
    "visibility",
    "kind",
    "status",
    "decline_reason",
]


def _snapshot(evidence):
    data = model_to_dict(evidence, fields=SNAPSHOT_FIELDS)
    data["observed_on"] = evidence.observed_on.isoformat()
    data["criteria"] = sorted(evidence.criteria.values_list("name", flat=True))
    return data


def _log(evidence, action, by):
    """Record a write to `evidence` in its history. Every write is logged, so this is also
    where the person's kept readiness learns that their evidence changed."""
    EvidenceChange.objects.create(
        evidence=evidence, action=action, changed_by=by, snapshot=_snapshot(evidence)
    )
    kept.changed(evidence.employee_id)


def _check(*, employee, expectation, observed_on, description, criteria, kind):
    errors = {}
    if kind not in Evidence.Kind.values:
        errors["kind"] = "Say whether it shows the expectation being met or is a growth note."
    elif kind == Evidence.Kind.GROWTH and criteria:
        errors["criteria"] = (
            "A growth note supports no promotion criterion: untick them, or record it as "
            "showing the expectation."
        )
    if expectation.level.ladder_id != employee.ladder_id:
        errors["expectation"] = "That expectation is not on this person's ladder."
    elif not (expectation.is_active and expectation.category.is_active):
        errors["expectation"] = "That expectation has been retired; pick a current one."
    if observed_on > timezone.localdate():
        errors["observed_on"] = "Record what has happened: the date cannot be in the future."
    elif observed_on < timezone.localdate() - MAX_AGE:
        errors["observed_on"] = "That is more than three years ago; check the date."
    if not description.strip():
        errors["description"] = "Describe what they did."
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep it under {MAX_DESCRIPTION} characters."
    if any(criterion.ladder_id != employee.ladder_id for criterion in criteria):
        errors["criteria"] = "Those promotion criteria are not on this person's ladder."
    if errors:
        raise ValidationError(errors)


def _copy_expectation(evidence, expectation):
    evidence.expectation = expectation
    evidence.expectation_text = expectation.text
    evidence.category_name = expectation.category.name
    evidence.level = expectation.level
    evidence.level_name = expectation.level.name


def _create(*, employee, expectation, by, observed_on, description, link, criteria, kind, **fields):
    """Check and write a new evidence item with its expectation copied, and log it."""
    _check(
        employee=employee,
        expectation=expectation,
        observed_on=observed_on,
        description=description,
        criteria=criteria,
        kind=kind,
    )
    evidence = Evidence(
        employee=employee,
        author=by,
        observed_on=observed_on,
        description=description.strip(),
        link=link,
        kind=kind,
        **fields,
    )
    _copy_expectation(evidence, expectation)
    evidence.save()
    evidence.criteria.set(criteria)
    _log(evidence, EvidenceChange.Action.CREATED, by)
    return evidence


@transaction.atomic
def record_evidence(
    *,
    employee,
    expectation,
    by,
    observed_on,
    description,
    link="",
    visibility,
    kind=Evidence.Kind.SHOWS,
    criteria=(),
):
    """A manager's (or HR's) evidence about someone below them, confirmed at once: it shows
    the expectation being met, or (`kind` GROWTH) is a growth note, which never counts
    towards readiness."""
    if not access.can(by, access.MANAGE, employee):
        raise PermissionDenied(
            "Only their managers and HR record evidence about someone, never about themselves."
        )
    evidence = _create(
        employee=employee,
        expectation=expectation,
        by=by,
        observed_on=observed_on,
        description=description,
        link=link,
        criteria=criteria,
        kind=kind,
        source=Evidence.Source.MANAGER,
        visibility=visibility,
        status=Evidence.Status.CONFIRMED,
    )
    if visibility == Evidence.Visibility.SHARED:
        notifications.evidence_shared(evidence)
    return evidence


@transaction.atomic
def log_win(*, employee, expectation, by, observed_on, description, link="", criteria=()):
    """A person's own win: it shows the expectation, is shared with them, and waits for a
    manager to confirm it."""
    if not access.can(by, access.LOG_WIN, employee):
        raise PermissionDenied("People log their own wins only.")
    evidence = _create(
        employee=employee,
        expectation=expectation,
        by=by,
        observed_on=observed_on,
        description=description,
        link=link,
        criteria=criteria,
        kind=Evidence.Kind.SHOWS,
        source=Evidence.Source.SELF,
        visibility=Evidence.Visibility.SHARED,
        status=Evidence.Status.PENDING,
    )
    notifications.win_logged(evidence)
    return evidence


def _locked(evidence, version=None):
    """The evidence row, locked for the update; refuses a stale version."""
    current = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if current.deleted_at is not None:
        raise ValidationError("This evidence has been deleted.")
    if version is not None and current.version != version:
        raise ValidationError(
            "This evidence changed after you opened the page (perhaps in another tab). "
            "Your text is below: copy what you need, then reload the page and save again."
        )
    return current


@transaction.atomic
def edit_evidence(
    *,
    evidence,
    by,
    version,
    expectation,
    observed_on,
    description,
    link="",
    visibility=None,
    kind=None,
    criteria=(),
):
    """The author changes what they wrote. A self-logged win stays shared and showing the
    expectation, and editing one that was confirmed or declined sends it back to the
    manager to confirm again. `visibility` and `kind` left out stay as they were."""
    current = _locked(evidence, version)
    if not access.can(by, access.CHANGE, current):
        raise PermissionDenied("Only the author can edit this evidence.")
    if current.source == Evidence.Source.SELF or not kind:
        kind = current.kind
    _check(
        employee=current.employee,
        expectation=expectation,
        observed_on=observed_on,
        description=description,
        criteria=criteria,
        kind=kind,
    )
    if expectation.pk != current.expectation_id:
        _copy_expectation(current, expectation)
    current.observed_on = observed_on
    current.description = description.strip()
    current.link = link
    if current.source == Evidence.Source.MANAGER and visibility:
        current.visibility = visibility
    current.kind = kind
    resubmitted = current.source == Evidence.Source.SELF and current.status != (
        Evidence.Status.PENDING
    )
    if resubmitted:  # a changed win needs confirming again, whatever was decided before
        current.status = Evidence.Status.PENDING
        current.decline_reason = ""
        current.decided_by, current.decided_at = None, None
    current.version += 1
    current.save()
    current.criteria.set(criteria)
    _log(current, EvidenceChange.Action.EDITED, by)
    if resubmitted:
        notifications.win_logged(current)
    return current


@transaction.atomic
def delete_evidence(*, evidence, by):
    """The author removes what they wrote; it leaves every page but stays in the history."""
    current = _locked(evidence)
    if not access.can(by, access.CHANGE, current):
        raise PermissionDenied("Only the author can delete this evidence.")
    current.deleted_at = timezone.now()
    current.version += 1
    current.save(update_fields=["deleted_at", "version", "updated_at"])
    _log(current, EvidenceChange.Action.DELETED, by)


def _decide(evidence, by, status, reason=""):
    current = _locked(evidence)
    if not access.can(by, access.DECIDE, current):
        raise PermissionDenied("Only their managers and HR confirm someone's wins.")
    if current.status != Evidence.Status.PENDING:
        raise ValidationError(f"This win was already {current.get_status_display().lower()}.")
    current.status = status
    current.decline_reason = reason.strip()
    current.decided_by = by
    current.decided_at = timezone.now()
    current.version += 1
    current.save()
    _log(current, status, by)
    notifications.win_decided(current)
    return current


@transaction.atomic
def confirm_win(*, evidence, by):
    return _decide(evidence, by, Evidence.Status.CONFIRMED)


@transaction.atomic
def decline_win(*, evidence, by, reason):
    if not reason.strip():
        raise ValidationError({"reason": "Say why, so they can do something about it."})
    if len(reason.strip()) > MAX_DECLINE_REASON:
        raise ValidationError(
            {"reason": f"Keep the reason to at most {MAX_DECLINE_REASON:,} characters."}
        )
    return _decide(evidence, by, Evidence.Status.DECLINED, reason)


# Reads --------------------------------------------------------------------------------------


def evidence_for(user, employee):
    """The evidence of `employee` that `user` may read, newest first, ready to show."""
    return (
        access.restrict(Evidence.objects.filter(employee=employee), user, person=employee)
        .select_related("author")
        .prefetch_related("criteria")
    )


def pending_wins_for_manager(employee):
    """Wins waiting for confirmation from anyone below `employee` (for their managers)."""
    return (
        Evidence.objects.pending()
        .filter(below_q(employee, "employee__"))
        .select_related("employee", "author")
    )


def expectation_choices(employee, *, every_level=False, also_level=None):
    """The expectations evidence can be recorded against, grouped by level and category:
    the person's current level, then the next levels on their tracks (and `also_level`, a
    level id, where evidence being edited is recorded), and with `every_level` the rest of
    the ladder in order after them. Returns [(group label, [(pk, text), ...]), ...] (three
    queries). Read as plain rows: a whole ladder can hold thousands of expectations."""
    structure = ladder_structure(employee.ladder)
    steps = structure.next_steps(employee.level, own_track_id=employee.track_id)
    order = [employee.level.pk, *(step.level.pk for step in steps)]
    expectations = Expectation.objects.active().filter(
        level__ladder=employee.ladder, level__is_active=True
    )
    if not every_level:
        shown = [*order, also_level] if also_level is not None else order
        expectations = expectations.filter(level__in=shown)
    rows = expectations.order_by(
        "level__position", "category__position", "position", "id"
    ).values_list("pk", "text", "level_id", "level__name", "level__position", "category__name")
    groups = {}
    for pk, text, level_id, level_name, position, category_name in rows:
        label = f"{level_name} · {category_name}"
        if level_id == employee.level_id:
            label += " (current level)"
        elif level_id in order:
            label += " (next level)"
        groups.setdefault((level_id, position, label), []).append((pk, richtext.plain(text)))
    rank = {level_id: index for index, level_id in enumerate(order)}
    ordered = sorted(
        groups.items(), key=lambda item: (rank.get(item[0][0], len(order)), item[0][1])
    )
    return [(label, choices) for (_, _, label), choices in ordered]


def evidence_by_expectation(user, employee):
    """{expectation pk: [evidence, ...]} of what `user` may read, for the person pages."""
    grouped = {}
    for item in evidence_for(user, employee):
        grouped.setdefault(item.expectation_id, []).append(item)
    return grouped

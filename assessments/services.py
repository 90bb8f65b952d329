"""Writes about people: levels, managers, deactivation."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from levels.models import TrackLevel

from .models import Employee, LevelAssignment
from .selectors import below

# Policy on effective dates: a level takes effect on the day it is assigned or earlier,
# never later, so the current level shown everywhere is always in force; and never before
# the person's latest assignment, so the history stays in order.


def level_since(employee):
    """The date the employee's current level took effect: the start of the latest run of
    assignments at that level. Uses a prefetched `assignment_list` when there is one."""
    assignments = getattr(employee, "assignment_list", None)
    if assignments is None:
        assignments = list(employee.assignments.order_by("-effective_on", "-id"))
    since = None
    for assignment in assignments:  # newest first
        if assignment.level_id != employee.level_id:
            break
        since = assignment.effective_on
    return since


def check_placement(*, ladder, track, level):
    """Refuse a track or level that is not of the ladder, or a level off the track."""
    errors = {}
    if track.ladder_id != ladder.pk:
        errors["track"] = f"The track {track} is not on the {ladder} ladder."
    elif not track.is_active:
        errors["track"] = f"The track {track} is retired; place people on a current track."
    if level.ladder_id != ladder.pk:
        errors["level"] = f"The level {level} is not on the {ladder} ladder."
    elif not level.is_active:
        errors["level"] = f"The level {level} is retired and cannot be assigned."
    elif not errors and not TrackLevel.objects.filter(track=track, level=level).exists():
        errors["level"] = f"The level {level} is not on the {track} track."
    if errors:
        raise ValidationError(errors)


def _check_not_in_future(effective_on):
    if effective_on > timezone.localdate():
        raise ValidationError(
            {"effective_on": "A level takes effect today or earlier; record it when it happens."}
        )


@transaction.atomic
def assign_level(*, employee, level, track, effective_on, by, rationale=""):
    """Give `employee` a new level: one history row and the current level, together.

    Raises ValidationError (by field) when the level or track does not fit the
    employee's ladder, or the date is outside the policy above; nothing is written then.
    """
    given, employee = employee, Employee.objects.select_for_update().get(pk=employee.pk)
    check_placement(ladder=employee.ladder, track=track, level=level)
    if (employee.level_id, employee.track_id) == (level.pk, track.pk):
        raise ValidationError(
            {"level": f"{employee} is already {level.name} on the {track} track."}
        )
    _check_not_in_future(effective_on)
    latest = employee.assignments.order_by("-effective_on", "-id").first()
    if latest and effective_on < latest.effective_on:
        raise ValidationError(
            {
                "effective_on": (
                    f"The current level took effect on {date_format(latest.effective_on)}; "
                    "a new level cannot start before it."
                )
            }
        )
    assignment = LevelAssignment.objects.create(
        employee=employee,
        level=level,
        track=track,
        effective_on=effective_on,
        assigned_by=by,
        rationale=rationale.strip(),
    )
    employee.level, employee.track = level, track
    employee.save(update_fields=["level", "track"])
    given.level, given.track = level, track  # the caller's copy is current too
    return assignment


@transaction.atomic
def place_employee(*, full_name, email, ladder, track, level, effective_on, by=None, **fields):
    """Create an employee at a level, with the first assignment of their history."""
    check_placement(ladder=ladder, track=track, level=level)
    _check_not_in_future(effective_on)
    employee = Employee.objects.create(
        full_name=full_name,
        email=email.strip().lower(),
        ladder=ladder,
        track=track,
        level=level,
        **fields,
    )
    LevelAssignment.objects.create(
        employee=employee,
        level=level,
        track=track,
        effective_on=effective_on,
        assigned_by=by,
        rationale="Placed on the ladder.",
    )
    return employee


def check_manager(employee, manager):
    """Refuse a manager that would make a loop in the reporting tree."""
    if manager is None or employee.pk is None:
        return
    if manager.pk == employee.pk:
        raise ValidationError({"manager": "A person cannot be their own manager."})
    if below(employee).filter(pk=manager.pk).exists():
        raise ValidationError(
            {"manager": f"{manager} reports to {employee}; that would make a loop."}
        )


@transaction.atomic
def set_manager(*, employee, manager):
    check_manager(employee, manager)
    employee.manager = manager
    employee.save(update_fields=["manager"])


@transaction.atomic
def deactivate_employee(*, employee):
    """Take someone off the ladder pages and out of the app. Their sign-in stops working
    at once: an inactive user's existing sessions are no longer accepted."""
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    if employee.user_id:
        user = employee.user
        user.is_active = False
        user.save(update_fields=["is_active"])


# What HR may do: reshape ladders freely (records in use are protected by the database),
# add and edit people, and read every record; histories are never edited by hand.
HR_PERMISSIONS = {
    "levels": ["view", "add", "change", "delete"],
    "assessments.employee": ["view", "add", "change"],
    "assessments.levelassignment": ["view"],
    "assessments.evidence": ["view"],
    "assessments.evidencechange": ["view"],
    "assessments.review": ["view"],
    "assessments.reviewrating": ["view"],
}


def hr_permission_filter():
    """A Q selecting exactly the permissions in HR_PERMISSIONS."""
    from django.db.models import Q

    query = Q(pk__in=[])
    for target, actions in HR_PERMISSIONS.items():
        app_label, _, model = target.partition(".")
        for action in actions:
            part = Q(content_type__app_label=app_label, codename__startswith=f"{action}_")
            if model:
                part &= Q(content_type__model=model)
            query |= part
    # Change histories are written by the app alone (see levels.history); HR reads them
    # through the objects they belong to.
    return query & ~Q(content_type__model__startswith="historical")


def ensure_hr_group():
    """The HR group with exactly HR's permissions (the migrations set it up; this restores
    it where it went missing, e.g. a database flushed by tests)."""
    from django.contrib.auth.models import Group, Permission

    from .selectors import HR_GROUP

    group, _ = Group.objects.get_or_create(name=HR_GROUP)
    group.permissions.set(Permission.objects.filter(hr_permission_filter()))
    return group

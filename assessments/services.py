"""Writes about people: levels, managers, deactivation.

Every change to the reporting lines takes the `REPORTING_LINES` lock (`pmladder.locks`)
and checks for a loop inside the same transaction, so two simultaneous changes (Omar to
Grace and Grace to Omar) cannot close a loop between them. Under the same lock it keeps
the people's paths (`Employee.path`) in step with their managers: a new person's path is
their manager's and their own id; a move rewrites the paths of the person and everyone
below them in one UPDATE.
"""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateField, Exists, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.formats import date_format

from levels.models import TrackLevel
from pmladder import locks
from pmladder.validators import single_line

from . import access
from .models import Employee, LevelAssignment, path_below

# The earliest effective date accepted: anything before is a typing slip.
EARLIEST_DATE = datetime.date(1900, 1, 1)
# The rationale of everyone's first assignment.
PLACED_RATIONALE = "Placed on the ladder."
STALE_LEVEL_MESSAGE = (
    "{employee}'s level changed after you opened this page (perhaps someone else assigned "
    "one): they are now {level}. Check the level below and save again if it is still right."
)

# Policy on effective dates: a level takes effect on the day it is assigned or earlier,
# never later, so the current level shown everywhere is always in force; and never before
# the person's latest assignment, so the history stays in order.


def level_since_in_history():
    """The date each person of an employee queryset took their current level, worked out
    from their level history in SQL: the start of the latest run of assignments at that
    level, i.e. the earliest assignment at it with no assignment to another level after it
    in the history's order (by date, then by id). None without one.

    Pages read the kept copy, `Employee.level_since`; this is how it is counted again
    (`keep_level_since`) and how tests check it."""
    later_elsewhere = (
        LevelAssignment.objects.filter(employee=OuterRef("employee"))
        .exclude(level=OuterRef("level"))
        .filter(
            Q(effective_on__gt=OuterRef("effective_on"))
            | Q(effective_on=OuterRef("effective_on"), id__gt=OuterRef("id"))
        )
    )
    run = (
        LevelAssignment.objects.filter(employee=OuterRef("pk"), level=OuterRef("level"))
        .filter(~Exists(later_elsewhere))
        .order_by()
        .values("employee")
        .annotate(since=Min("effective_on"))
        .values("since")
    )
    return Subquery(run, output_field=DateField())


def keep_level_since(people):
    """Count `level_since` again from the history for `people` (a queryset of employees),
    in one UPDATE: for history rows written in bulk past the services. `assign_level`,
    `place_employee` and the people import set it as they write (`since_after`)."""
    return people.update(level_since=level_since_in_history())


def since_after(level_id, level_since, level, effective_on):
    """A person's `level_since` once `level` is assigned to them from `effective_on`, their
    level being `level_id` since `level_since` until then: the new assignment is the newest
    of their history (the date policy below), so it starts a run unless their level stays
    the same (a move to another track)."""
    if level_id == level.pk and level_since is not None:
        return level_since
    return effective_on


def check_placement(*, ladder, track, level):
    """Refuse a ladder that is not published, a track or level that is not of the ladder,
    or a level off the track."""
    if ladder.status == ladder.Status.DRAFT:
        raise ValidationError(
            {"ladder": f"The {ladder} ladder is a draft: HR publishes it before people join it."}
        )
    if ladder.status == ladder.Status.RETIRED:
        raise ValidationError(
            {"ladder": f"The {ladder} ladder is retired: place people on a published ladder."}
        )
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


def check_names(**names):
    """Refuse names and titles with control characters, terminal escapes or direction
    overrides (they garble emails and pages others read); by field."""
    errors = {}
    for field, value in names.items():
        try:
            single_line(value)
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)


def check_effective_date(effective_on, *, since=None):
    """Refuse a date in the future, one so far back that it must be a typing slip, and one
    before `since` (the date the current level took effect: history stays in order)."""
    if effective_on > timezone.localdate():
        raise ValidationError(
            {"effective_on": "A level takes effect today or earlier; record it when it happens."}
        )
    if effective_on < EARLIEST_DATE:
        raise ValidationError(
            {"effective_on": f"Check the year: dates before {EARLIEST_DATE:%Y} are not accepted."}
        )
    if since is not None and effective_on < since:
        raise ValidationError(
            {
                "effective_on": (
                    f"The current level took effect on {date_format(since)}; "
                    "a new level cannot start before it."
                )
            }
        )


def new_sign_in(*, full_name, email):
    """An unsaved sign-in for a person who has none: their email as the username, their
    name split into first and last, and no usable password (what set_unusable_password()
    stores, from a faster source of randomness: an import makes thousands)."""
    User = get_user_model()
    first_name, _, last_name = full_name.partition(" ")
    user = User(
        **{User.USERNAME_FIELD: email},
        email=email,
        first_name=first_name[:150],
        last_name=last_name.strip()[:150],
    )
    user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(
        UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2
    )
    return user


def account_to_link(username, *, by=None):
    """The account named `username`, checked as the sign-in of a person's record (see
    `linkable_users`); None for a blank name. Raises ValidationError saying why not."""
    username = username.strip()
    if not username:
        return None
    User = get_user_model()
    account = (
        User.objects.filter(**{User.USERNAME_FIELD: username}).select_related("employee").first()
    )
    if account is None:
        raise ValidationError(
            f"No account has the username {username}. Check the spelling, or import the person "
            "from a people file, which creates their sign-in."
        )
    taken_by = getattr(account, "employee", None)
    if taken_by is not None:
        raise ValidationError(f"That account is already the sign-in of {taken_by.full_name}.")
    if not linkable_users(by).filter(pk=account.pk).exists():
        raise ValidationError(
            "That account is staff or a superuser: only a superuser may make it a person's sign-in."
        )
    return account


def linkable_users(by=None):
    """The accounts a person's record may be linked to as their sign-in: nobody else's,
    and, unless a superuser (or the system, `by` None) links it, neither staff nor a
    superuser, so HR cannot hand a person an administrator's account."""
    users = get_user_model().objects.filter(employee__isnull=True)
    if by is not None and not by.is_superuser:
        users = users.filter(is_staff=False, is_superuser=False)
    return users


def latest_assignment(employee):
    """The assignment that put `employee` on their current level (None for nobody)."""
    return employee.assignments.order_by("-effective_on", "-id").first()


@transaction.atomic
def assign_level(
    *, employee, level, track, effective_on, by, rationale="", based_on=None, job_title=None
):
    """Give `employee` a new level: one history row and the current level, together.

    `by` must be allowed to manage `employee` (never themselves); None is the system, e.g.
    an import run from the command line. `based_on` is the id of the latest assignment the
    caller's page showed: when someone else has assigned a level since, the change is
    refused as stale. `job_title`, when given, becomes their job title in the same change
    (None keeps the current one).

    Raises ValidationError (by field) when the level or track does not fit the
    employee's ladder, or the date is outside the policy above; nothing is written then.
    """
    given, employee = employee, Employee.objects.select_for_update().get(pk=employee.pk)
    if by is not None and not access.can(by, access.MANAGE, employee):
        raise PermissionDenied("Only their managers and HR assign a level, never their own.")
    latest = latest_assignment(employee)
    if based_on is not None and based_on != (latest.pk if latest else 0):
        raise ValidationError(
            STALE_LEVEL_MESSAGE.format(employee=employee, level=employee.level.name),
            code="stale",
        )
    check_placement(ladder=employee.ladder, track=track, level=level)
    if (employee.level_id, employee.track_id) == (level.pk, track.pk):
        raise ValidationError(
            {"level": f"{employee} is already {level.name} on the {track} track."}
        )
    check_effective_date(effective_on, since=latest.effective_on if latest else None)
    fields = ["level", "track", "level_since"]
    if job_title is not None:
        job_title = job_title.strip()
        check_names(job_title=job_title)
        limit = Employee._meta.get_field("job_title").max_length
        if len(job_title) > limit:
            raise ValidationError({"job_title": f"A job title has at most {limit} characters."})
        employee.job_title = job_title
        fields.append("job_title")
    assignment = LevelAssignment.objects.create(
        employee=employee,
        level=level,
        track=track,
        effective_on=effective_on,
        assigned_by=by,
        rationale=rationale.strip(),
    )
    employee.level_since = since_after(employee.level_id, employee.level_since, level, effective_on)
    employee.level, employee.track = level, track
    employee.save(update_fields=fields)
    given.level, given.track = level, track  # the caller's copy is current too
    given.level_since = employee.level_since
    given.job_title = employee.job_title
    return assignment


@transaction.atomic
def place_employee(*, full_name, email, ladder, track, level, effective_on, by=None, **fields):
    """Create an employee at a level, with the first assignment of their history, at the
    top of a tree of their own or, with `manager`, below them."""
    check_placement(ladder=ladder, track=track, level=level)
    check_effective_date(effective_on)
    check_names(full_name=full_name, job_title=fields.get("job_title", ""))
    manager = fields.get("manager")
    above = ""
    if manager is not None:
        # The manager's path as it is once no other change to the tree is under way.
        locks.serialised(locks.REPORTING_LINES)
        above = Employee.objects.values_list("path", flat=True).get(pk=manager.pk)
    employee = Employee.objects.create(
        full_name=full_name,
        email=email.strip().lower(),
        ladder=ladder,
        track=track,
        level=level,
        level_since=effective_on,
        **fields,
    )
    employee.path = path_below(above, employee.pk)
    employee.save(update_fields=["path"])
    LevelAssignment.objects.create(
        employee=employee,
        level=level,
        track=track,
        effective_on=effective_on,
        assigned_by=by,
        rationale=PLACED_RATIONALE,
    )
    return employee


def check_manager(employee, manager):
    """Refuse a manager that would make a loop in the reporting tree. A form may call it
    to show the problem early; `set_manager` calls it again under the lock, where it
    counts. Returns {pk: path} of both as the database has them (None when there is
    nothing to check)."""
    if manager is None or employee.pk is None:
        return None
    if manager.pk == employee.pk:
        raise ValidationError({"manager": "A person cannot be their own manager."})
    paths = _paths_now(employee, manager)
    if paths[employee.pk] and paths[manager.pk].startswith(paths[employee.pk]):
        raise ValidationError(
            {"manager": f"{manager} reports to {employee}; that would make a loop."}
        )
    return paths


def _paths_now(*people):
    """{pk: path} of `people` as the database has them (one query)."""
    pks = [person.pk for person in people if person is not None]
    return dict(Employee.objects.filter(pk__in=pks).values_list("pk", "path"))


@transaction.atomic
def set_manager(*, employee, manager):
    """Make `manager` (or nobody) the manager of `employee`: checked for loops against the
    reporting lines as they are once no other change to them is under way. The paths of
    `employee` and everyone below them move with them, in one UPDATE."""
    locks.serialised(locks.REPORTING_LINES)
    paths = check_manager(employee, manager) or _paths_now(employee, manager)
    old = paths[employee.pk]
    new = path_below(paths[manager.pk] if manager is not None else "", employee.pk)
    employee.manager = manager
    employee.save(update_fields=["manager"])
    if not old:  # not in the tree yet (created outside the services): themselves alone
        Employee.objects.filter(pk=employee.pk).update(path=new)
    elif new != old:
        Employee.objects.filter(path__within=old).update(
            path=Concat(Value(new), Substr("path", len(old) + 1))
        )
    employee.path = new


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


@transaction.atomic
def reactivate_employee(*, employee):
    """Bring someone back: on the ladder pages again, and able to sign in again."""
    employee.is_active = True
    employee.save(update_fields=["is_active"])
    if employee.user_id and not employee.user.is_active:
        user = employee.user
        user.is_active = True
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
    "jobs.job": ["view"],
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

"""
People files (CSV): reading, checking and importing.

One row a person, under the header
`email,full_name,job_title,manager_email,ladder,track,level,effective_date` (any column
order). `read(content)` checks a file on its own (columns, emails, names, dates,
duplicates) and returns its rows. `import_people(content=...)` also checks the rows
against the database (ladders, tracks, levels, managers, loops in the reporting lines) and
then writes them in one transaction through `services.place_employee` (new people) and
`services.assign_level` (a changed level or track), so the import follows the same rules
as the rest of the app.

A bad file raises `PeopleFileError` listing every problem by row and column, e.g.
`row 7, level: unknown level 'astronaut' in ladder 'product-management'`, and writes
nothing. The header is row 1; the first person is row 2. Reads are done in bulk: a file
of any size costs the same handful of lookups; only the writes grow with the file.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from levels.models import Ladder, Level, Track
from pmladder import textfiles

from . import services
from .models import Employee

COLUMNS = (
    "email",
    "full_name",
    "job_title",
    "manager_email",
    "ladder",
    "track",
    "level",
    "effective_date",
)
# Longest accepted text of each kind; they match the database columns. An email also
# becomes the person's username, which is shorter than an email column.
MAX_NAME = 150
MAX_EMAIL = 150
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Names looked up per query, to stay well under the databases' limits on parameters.
LOOKUP_BATCH = 2000
RATIONALE = "Imported from a people file."

# How the services name their fields, in the file's words.
_SERVICE_FIELDS = {
    "effective_on": "effective_date",
    "manager": "manager_email",
    "ladder": "ladder",
    "track": "track",
    "level": "level",
}


class PeopleFileError(Exception):
    """A people file that cannot be imported; `problems` lists every reason."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Row:
    """One person of a file, as written there (text stripped, emails lower-cased)."""

    number: int
    email: str
    full_name: str
    job_title: str
    manager_email: str
    ladder: str
    track: str
    level: str
    effective_date: datetime.date | None


@dataclass
class ImportSummary:
    """What an import did: people created, updated and left as they were, emails sent."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invited: int = 0

    def __str__(self):
        text = f"Created {self.created}, updated {self.updated}, unchanged {self.unchanged}."
        if self.invited:
            text += f" Sent {self.invited} invitation{'s' if self.invited != 1 else ''}."
        return text


class _Problems:
    """Problems found so far, by row and column, listed in the file's order."""

    def __init__(self):
        self._items = []  # (row, column position, text)
        self.rows = set()  # rows with at least one problem

    def add(self, message, *, row=None, column=None):
        if row is None:
            self._items.append((0, -1, message))
            return
        self.rows.add(row)
        where = f"row {row}, {column}" if column else f"row {row}"
        position = COLUMNS.index(column) if column in COLUMNS else -1
        self._items.append((row, position, f"{where}: {message}"))

    def add_validation_error(self, error, *, row):
        """Report a ValidationError of a service against the row's columns."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add(message, row=row, column=_SERVICE_FIELDS.get(name))
        else:
            for message in error.messages:
                self.add(message, row=row)

    def __bool__(self):
        return bool(self._items)

    def raise_if_any(self):
        if self._items:
            # Stable sort: by row, then by column, keeping the order found within each.
            ordered = sorted(self._items, key=lambda item: (item[0], item[1]))
            raise PeopleFileError([text for _, _, text in ordered])


def max_bytes():
    """Files larger than this are refused before they are read."""
    return settings.PEOPLE_FILE_MAX_BYTES


# Reading --------------------------------------------------------------------------------


def read(content):
    """Parse and check a people file (bytes or text) on its own; return its rows.

    Raises PeopleFileError listing every problem. Nothing here touches the database.
    """
    rows, problems = _read(content)
    problems.raise_if_any()
    return rows


def _read(content):
    """The rows that could be read, and the problems found: a broken file (size, encoding,
    header) raises at once; problems of single rows are collected for the caller."""
    problems = _Problems()
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise PeopleFileError([f"row 1: this is not a readable CSV file ({error})"]) from None
    if header is None or not any(name.strip() for name in header):
        raise PeopleFileError(["the file has no header row; the first row must name the columns"])
    columns = _check_header(header)

    rows = []
    seen = {}  # email -> row number of its first appearance
    number = 1
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.add(f"the CSV cannot be read from here on ({error})", row=number)
            break
        if not any(value.strip() for value in values):
            continue  # blank lines, or rows of empty cells, as spreadsheets save them
        if len(values) != len(columns):
            problems.add(
                f"has {len(values)} values but the header has {len(columns)} columns",
                row=number,
            )
            continue
        row = _check_row(number, dict(zip(columns, values, strict=True)), problems)
        if row.email:
            if row.email in seen:
                problems.add(
                    f"'{row.email}' is already on row {seen[row.email]}; list each person once",
                    row=number,
                    column="email",
                )
                continue
            seen[row.email] = number
        rows.append(row)
    if not rows and not problems:
        raise PeopleFileError(["the file lists no people, only a header"])
    return rows, problems


def _decode(content):
    try:
        return textfiles.decode(
            content, limit=max_bytes(), kind="people files", hint="; save it as 'CSV UTF-8'"
        )
    except textfiles.TextFileError as error:
        raise PeopleFileError([str(error)]) from None


def _check_header(header):
    columns = [name.strip() for name in header]
    problems = []
    expected = ", ".join(COLUMNS)
    for position, name in enumerate(columns):
        if not name:
            problems.append(f"row 1: column {position + 1} has no name (expected: {expected})")
        elif name not in COLUMNS:
            hint = ""
            if ";" in name or "\t" in name:
                hint = "; separate the columns with commas"
            problems.append(f"row 1: unknown column '{name}' (expected: {expected}){hint}")
        elif columns.index(name) != position:
            problems.append(f"row 1: the column '{name}' appears more than once")
    for name in COLUMNS:
        if name not in columns:
            problems.append(f"row 1: missing column '{name}'")
    if problems:
        raise PeopleFileError(problems)
    return columns


def _check_row(number, values, problems):
    def error(column, message):
        problems.add(message, row=number, column=column)

    email = _email(values["email"], "email", error, required=True)
    manager_email = _email(values["manager_email"], "manager_email", error, required=False)
    if email and manager_email == email:
        error("manager_email", "a person cannot be their own manager")
        manager_email = ""

    full_name = values["full_name"].strip()
    if not full_name:
        error("full_name", "must not be empty")
    elif len(full_name) > MAX_NAME:
        error("full_name", f"is {len(full_name)} characters long; at most {MAX_NAME} allowed")
    job_title = values["job_title"].strip()
    if len(job_title) > MAX_NAME:
        error("job_title", f"is {len(job_title)} characters long; at most {MAX_NAME} allowed")

    for column in ("ladder", "track", "level"):
        if not values[column].strip():
            error(column, "must not be empty")

    return Row(
        number=number,
        email=email,
        full_name=full_name,
        job_title=job_title,
        manager_email=manager_email,
        ladder=values["ladder"].strip(),
        track=values["track"].strip(),
        level=values["level"].strip(),
        effective_date=_date(values["effective_date"], error),
    )


def _email(value, column, error, *, required):
    value = value.strip()
    if not value:
        if required:
            error(column, "must not be empty")
        return ""
    try:
        validate_email(value)
    except ValidationError:
        error(column, f"'{value}' is not a valid email address")
        return ""
    if len(value) > MAX_EMAIL:
        error(column, f"is {len(value)} characters long; at most {MAX_EMAIL} allowed")
        return ""
    return value.lower()


def _date(value, error):
    value = value.strip()
    if not value:
        error("effective_date", "must not be empty (use YYYY-MM-DD)")
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError
        date = datetime.date.fromisoformat(value)
    except ValueError:
        error("effective_date", f"'{value}' is not a date (use YYYY-MM-DD, e.g. 2025-03-31)")
        return None
    if date > timezone.localdate():
        error(
            "effective_date",
            f"{value} is in the future; a level takes effect today or earlier",
        )
        return None
    return date


# Importing ------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What to write, found by checking the rows against the database."""

    rows: list
    placements: dict = field(default_factory=dict)  # row number -> (ladder, track, level)
    existing: dict = field(default_factory=dict)  # email -> Employee
    users: dict = field(default_factory=dict)  # email -> existing User to link
    db_people: dict = field(default_factory=dict)  # email -> (pk, manager email or "")
    problems: _Problems = field(default_factory=_Problems)


def import_people(*, content, by=None, invite=False, request=None, domain=None, use_https=False):
    """Create and update the people of a file; return an `ImportSummary`.

    New people get a sign-in without a password (username: their email), linked to an
    existing user of that username when there is one. With `invite`, each new sign-in
    gets Django's password-reset email, with links built from `request` or, without one
    (a command), from `domain` and `use_https`. A bad file raises PeopleFileError and
    writes nothing.
    """
    if invite and request is None and not domain:
        raise ValueError("Invitations need a request or a domain to build their links.")
    rows, problems = _read(content)
    plan = _Plan(rows=rows, problems=problems)
    _check_against_database(plan)

    with transaction.atomic():
        summary = ImportSummary()
        # Level changes first: services.assign_level has date rules of its own (such as not
        # before the current level) whose refusals are worth reporting with the rest.
        changed = _assign_levels(plan, by)
        plan.problems.raise_if_any()  # rolls back any level change made above
        new_users = _create_users(plan)
        created = _place_new_people(plan, by, new_users)
        updated = _update_people(plan, created)
        plan.problems.raise_if_any()
        summary.created = len(created)
        summary.updated = len(changed | updated)
        summary.unchanged = len(plan.rows) - summary.created - summary.updated

    if invite:
        for user in new_users.values():
            _send_invitation(user, request=request, domain=domain, use_https=use_https)
            summary.invited += 1
    return summary


def _check_against_database(plan):
    """Look up everything the rows name, in a fixed number of queries, and report what
    does not fit: unknown ladders, tracks and levels, placements the ladder does not
    allow, managers nobody knows, loops in the reporting lines, sign-ins taken."""
    problems = plan.problems
    rows = plan.rows

    ladders = {
        ladder.slug: ladder for ladder in Ladder.objects.filter(slug__in={r.ladder for r in rows})
    }
    tracks = {(t.ladder_id, t.key): t for t in Track.objects.filter(ladder__in=ladders.values())}
    levels = {
        (lv.ladder_id, lv.key): lv for lv in Level.objects.filter(ladder__in=ladders.values())
    }
    # Everyone, in one query: the reporting lines above the file's people need them all.
    everyone = {
        employee.email.lower(): employee
        for employee in Employee.objects.order_by().only(
            "pk", "email", "full_name", "job_title", "manager", "ladder", "track", "level"
        )
    }
    emails_by_pk = {employee.pk: email for email, employee in everyone.items()}
    plan.db_people = {
        email: (employee.pk, emails_by_pk.get(employee.manager_id, ""))
        for email, employee in everyone.items()
    }
    plan.existing = {row.email: everyone[row.email] for row in rows if row.email in everyone}

    checked = {}  # (track pk, level pk) -> ValidationError or None, for services.check_placement
    for row in rows:
        ladder = ladders.get(row.ladder)
        if ladder is None:
            if row.ladder:
                problems.add(f"unknown ladder '{row.ladder}'", row=row.number, column="ladder")
            continue
        track = tracks.get((ladder.pk, row.track))
        level = levels.get((ladder.pk, row.level))
        if track is None and row.track:
            problems.add(
                f"unknown track '{row.track}' in ladder '{ladder.slug}'",
                row=row.number,
                column="track",
            )
        if level is None and row.level:
            problems.add(
                f"unknown level '{row.level}' in ladder '{ladder.slug}'",
                row=row.number,
                column="level",
            )
        if track is None or level is None:
            continue
        employee = plan.existing.get(row.email)
        if employee is not None:
            if employee.ladder_id != ladder.pk:
                problems.add(
                    f"{employee.full_name} is on another ladder; an import cannot move "
                    "people between ladders",
                    row=row.number,
                    column="ladder",
                )
                continue
            if (employee.track_id, employee.level_id) == (track.pk, level.pk):
                continue  # unchanged placement: nothing to assign, nothing to check
        key = (track.pk, level.pk)
        if key not in checked:
            try:
                services.check_placement(ladder=ladder, track=track, level=level)
            except ValidationError as error:
                checked[key] = error
            else:
                checked[key] = None
        if checked[key] is not None:
            problems.add_validation_error(checked[key], row=row.number)
            continue
        plan.placements[row.number] = (ladder, track, level)

    _check_managers(plan)
    _check_users(plan)


def _check_managers(plan):
    """Every manager named must be in the file or the database, and the reporting lines
    the import would leave (the file's, over the database's) must have no loops."""
    problems = plan.problems
    in_file = {row.email: row for row in plan.rows if row.email}
    reports_to = {email: manager for email, (_, manager) in plan.db_people.items()}
    for row in plan.rows:
        if not row.email:
            continue
        manager = row.manager_email
        if manager and manager not in in_file and manager not in plan.db_people:
            problems.add(
                f"nobody has the email '{manager}', in this file or among the people already here",
                row=row.number,
                column="manager_email",
            )
            manager = ""
        reports_to[row.email] = manager

    # Walk up from each person of the file; a walk that comes back on itself is a loop.
    safe = set()
    for row in plan.rows:
        path, position = [], {}
        email = row.email
        while email and email not in safe and email not in position:
            position[email] = len(path)
            path.append(email)
            email = reports_to.get(email, "")
        if email in position:
            loop = path[position[email] :]
            for member in loop:
                if member in in_file:
                    start = loop.index(member)
                    chain = " → ".join([*loop[start:], *loop[:start], member])
                    problems.add(
                        f"this makes a loop in the reporting lines: {chain}",
                        row=in_file[member].number,
                        column="manager_email",
                    )
        safe.update(path)


def _check_users(plan):
    """New people get a sign-in named after their email; one that exists is linked,
    unless it already belongs to someone else."""
    new_emails = [row.email for row in plan.rows if row.email and row.email not in plan.existing]
    if not new_emails:
        return
    rows = {row.email: row for row in plan.rows if row.email}
    for user in _users_named(new_emails):
        email = user.get_username()
        taken_by = getattr(user, "employee", None)
        if taken_by is not None:
            plan.problems.add(
                f"the sign-in '{email}' already belongs to {taken_by.full_name} ({taken_by.email})",
                row=rows[email].number,
                column="email",
            )
        else:
            plan.users[email] = user


def _assign_levels(plan, by):
    """A new assignment for each existing person whose level or track changed; returns
    their emails. Refusals of services.assign_level become problems of their row."""
    changed = set()
    for row in plan.rows:
        employee = plan.existing.get(row.email)
        placement = plan.placements.get(row.number)
        if employee is None or placement is None or row.effective_date is None:
            continue
        _, track, level = placement
        try:
            services.assign_level(
                employee=employee,
                level=level,
                track=track,
                effective_on=row.effective_date,
                by=by,
                rationale=RATIONALE,
            )
        except ValidationError as error:
            plan.problems.add_validation_error(error, row=row.number)
        else:
            changed.add(row.email)
    return changed


def _create_users(plan):
    """Sign-ins without a usable password for the new people who have none; returns them
    by email."""
    User = get_user_model()
    users = []
    for row in plan.rows:
        if row.email in plan.existing or row.email in plan.users:
            continue
        first_name, _, last_name = row.full_name.partition(" ")
        user = User(
            **{User.USERNAME_FIELD: row.email},
            email=row.email,
            first_name=first_name[:150],
            last_name=last_name.strip()[:150],
        )
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    by_name = {user.get_username(): user for user in users}
    if any(user.pk is None for user in users):  # databases that cannot return new ids
        ids = {user.get_username(): user.pk for user in _users_named(list(by_name))}
        for user in users:
            user.pk = ids[user.get_username()]
    return by_name


def _users_named(usernames):
    """The users of these usernames, with their employee, a batch per query."""
    User = get_user_model()
    users = []
    for start in range(0, len(usernames), LOOKUP_BATCH):
        batch = usernames[start : start + LOOKUP_BATCH]
        users += User.objects.filter(**{f"{User.USERNAME_FIELD}__in": batch}).select_related(
            "employee"
        )
    return users


def _place_new_people(plan, by, new_users):
    """Each new person through services.place_employee (their first assignment too);
    returns them by email. Managers are set afterwards, once everyone exists."""
    created = {}
    for row in plan.rows:
        if row.email in plan.existing:
            continue
        ladder, track, level = plan.placements[row.number]
        try:
            created[row.email] = services.place_employee(
                full_name=row.full_name,
                email=row.email,
                ladder=ladder,
                track=track,
                level=level,
                effective_on=row.effective_date,
                by=by,
                job_title=row.job_title,
                user=plan.users.get(row.email) or new_users[row.email],
            )
        except ValidationError as error:
            plan.problems.add_validation_error(error, row=row.number)
    return created


def _update_people(plan, created):
    """Names, job titles and managers, for everyone of the file, in bulk; returns the
    emails of the existing people who changed."""
    pks = {email: pk for email, (pk, _) in plan.db_people.items()}
    pks.update({email: employee.pk for email, employee in created.items()})
    changed, updated = [], set()
    for row in plan.rows:
        manager_id = pks.get(row.manager_email) if row.manager_email else None
        employee = created.get(row.email)
        if employee is not None:
            if manager_id is not None:
                employee.manager_id = manager_id
                changed.append(employee)
            continue
        employee = plan.existing[row.email]
        new = (row.full_name, row.job_title, manager_id)
        if (employee.full_name, employee.job_title, employee.manager_id) != new:
            employee.full_name, employee.job_title, employee.manager_id = new
            changed.append(employee)
            updated.add(row.email)
    Employee.objects.bulk_update(changed, ["full_name", "job_title", "manager"])
    return updated


class _InvitationForm(PasswordResetForm):
    """Django's password-reset email, sent to one given sign-in (which, being new, has no
    usable password: the stock form would skip it)."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_users(self, email):
        return [self.user]


def _send_invitation(user, *, request, domain, use_https):
    form = _InvitationForm({"email": user.email}, user=user)
    form.is_valid()
    form.save(
        request=request,
        domain_override=None if request is not None else domain,
        use_https=request.is_secure() if request is not None else use_https,
        extra_email_context={"invitation": True},
    )

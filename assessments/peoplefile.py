"""
People files (CSV): reading, checking and importing.

One row a person, under the header
`email,full_name,job_title,manager_email,ladder,track,level,effective_date` and an optional
`rationale` (any column order). `read(content)` checks a file on its own (columns; emails;
names and titles, which may hold no control character, terminal escape or direction
override; dates, from 1900 to today; duplicates) and returns its rows. `preview(content)`
also checks the rows against the database (ladders, tracks, levels, managers, loops in the
reporting lines, sign-ins) and says what an import would do, person by person and field by
field, with step-downs, track changes and manager changes flagged, and who is here but not
in the file; nothing is written. `import_people(content=...)` checks the same and writes,
all in one transaction: given the fingerprint of the preview that was shown, it refuses
(`StalePreview`) when anything has changed since, and it refuses step-downs unless they are
allowed explicitly. `export_people()` writes everyone active in the same format, so an
export imported again changes nothing.

A bad file raises `PeopleFileError` listing every problem by row and column, e.g.
`row 7, level: unknown level 'astronaut' in ladder 'product-management'`, and writes
nothing. The header is row 1; the first person is row 2.

Imports wait for each other: the transaction takes the `REPORTING_LINES` lock
(`pmladder.locks`) before it reads anything about people, so a second import of the same
file waits for the first, then finds its people and updates them, and two files that
would close a loop between them cannot both pass the loop check. A clash the lock cannot
prevent (a sign-in created at that moment elsewhere) is reported as a problem to try
again, never as an error page.

Large files stay fast: one pass checks every row, the reads are a fixed handful of
queries, and every row is then written once, a thousand to a query: new people's ids are
taken first, so that each is inserted with their manager and path already set; sign-ins,
people, level history and admin history go in as plain rows (COPY on PostgreSQL); changes
of people here already are one `UPDATE … FROM (VALUES …)` a batch. The rules are those of
the services that place one person at a time (`services.check_placement`,
`services.check_effective_date`, the order of the level history, who may assign a level).
`import_people(progress=...)` reports how far it has got, stage by stage, for a background
task's progress bar; `scripts/bench.py` measures it. The admin previews a file of up to
`PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST` people within the upload's request and a longer one
as a background task, which keeps the preview's `PreviewSummary` (every count, the first
people of each list) and the whole of it as a CSV file (`preview_lines`). Invitations, one
email a new person, go out after the import commits, all over one connection to the mail
server.
"""

import collections
import csv
import dataclasses
import datetime
import functools
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, OuterRef, Subquery
from django.template import loader
from django.utils import timezone

from levels.history import made_by
from levels.models import Ladder, Level, Track
from levels.selectors import is_step_down, track_paths
from pmladder import csvcells, locks, textfiles, validators

from . import access, notifications, services
from .models import Employee, LevelAssignment, tree_paths

logger = logging.getLogger(__name__)

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
# Columns a file may have or leave out.
OPTIONAL_COLUMNS = ("rationale",)
ALL_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
# Longest accepted text of each kind; they match the database columns. An email also
# becomes the person's username, which is shorter than an email column.
MAX_NAME = 150
MAX_EMAIL = 150
MAX_RATIONALE = 5000
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Names looked up per query, to stay well under the databases' limits on parameters.
LOOKUP_BATCH = 2000
# Rows written per query by the bulk writes.
WRITE_BATCH = 1000
# Rows between two reports of progress, and the stages reported, in their order.
PROGRESS_EVERY = 1000
READING = "Reading rows"
CHECKING = "Checking rows"
# Stages of no known length (an unmeasured bar): working out what the checked rows change
# for the people here, and the transaction's commit.
COMPARING = "Comparing with the people here"
WRITING = "Writing people"
SAVING = "Saving"
PREPARING_INVITATIONS = "Preparing invitations"
SENDING_INVITATIONS = "Sending invitations"
RATIONALE = "Imported from a people file."
# The fields the bulk inserts write, in the order of their rows' values.
EMPLOYEE_FIELDS = (
    "id",
    "full_name",
    "email",
    "job_title",
    "manager",
    "path",
    "ladder",
    "track",
    "level",
    "level_since",
    "user",
    "is_active",
    "created_at",
)
ASSIGNMENT_FIELDS = (
    "employee",
    "level",
    "track",
    "effective_on",
    "assigned_by",
    "rationale",
    "created_at",
)
LOG_ENTRY_FIELDS = (
    "action_time",
    "user",
    "content_type",
    "object_id",
    "object_repr",
    "action_flag",
    "change_message",
)
TRY_AGAIN = (
    "someone else changed these people or their sign-ins while the file was being "
    "imported, so nothing was changed; import the file again"
)

# How the services name their fields, in the file's words.
_SERVICE_FIELDS = {
    "effective_on": "effective_date",
    "manager": "manager_email",
    "ladder": "ladder",
    "track": "track",
    "level": "level",
}
# A quick look for the characters `validators.single_line` refuses (control characters,
# direction overrides, line separators), so that only a suspect value pays for the
# validator's character-by-character walk.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f" + "".join(sorted(validators.BIDI_CONTROLS | validators.SEPARATORS)) + "]"
)


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
    rationale: str = ""


@dataclass
class ImportSummary:
    """What an import did: people created, updated and left as they were, emails sent."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invited: int = 0
    # The sign-ins the import made, in the file's order: who an invitation would go to.
    new_users: list = field(default_factory=list, repr=False)

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
        position = ALL_COLUMNS.index(column) if column in ALL_COLUMNS else -1
        self._items.append((row, position, f"{where}: {message}"))

    def add_validation_error(self, error, *, row, column=None):
        """Report a ValidationError of a service or validator against the row's columns."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add(message, row=row, column=_SERVICE_FIELDS.get(name, column))
        else:
            for message in error.messages:
                self.add(message, row=row, column=column)

    def __bool__(self):
        return bool(self._items)

    def listed(self):
        """The problems' texts, by row, then by column, in the order found within each."""
        ordered = sorted(self._items, key=lambda item: (item[0], item[1]))  # a stable sort
        return [text for _, _, text in ordered]

    def raise_if_any(self):
        if self._items:
            raise PeopleFileError(self.listed())


def max_bytes():
    """Files larger than this are refused before they are read."""
    return settings.PEOPLE_FILE_MAX_BYTES


def max_rows_in_request():
    """Files listing up to this many people are previewed by the admin within the upload's
    request; longer ones, by a background task."""
    return settings.PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST


def lists_more_than(content, limit):
    """Whether a file lists more than `limit` people (rows after the header, blank ones
    not counted). Reads no further than needed; a file that cannot be read counts the
    rows read so far, and the import then says what is wrong with it."""
    try:
        text = _decode(content)
    except PeopleFileError:
        return False
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    count = -1  # the header
    try:
        for values in reader:
            if any(value.strip() for value in values):
                count += 1
                if count > limit:
                    return True
    except csv.Error:
        pass
    return False


# Reading --------------------------------------------------------------------------------


def read(content):
    """Parse and check a people file (bytes or text) on its own; return its rows.

    Raises PeopleFileError listing every problem. Nothing here touches the database.
    """
    rows, problems = _read(content)
    problems.raise_if_any()
    return rows


def _read(content, progress=None):
    """The rows that could be read, and the problems found: a broken file (size, encoding,
    header) raises at once; problems of single rows are collected for the caller. Reports
    `progress` (see `import_people`) every `PROGRESS_EVERY` rows."""
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
    # Split into cells first (quick), so that the checks below know how many rows they have
    # to report progress against.
    records, broken = [], None
    try:
        for values in reader:
            records.append(values)
    except csv.Error as error:
        broken = error

    rows = []
    seen = {}  # email -> row number of its first appearance
    dates = {}  # text -> (date or None, problems), see _date
    for done, values in enumerate(records):
        if done % PROGRESS_EVERY == 0:
            _report(progress, done, len(records), READING)
        number = done + 2  # the header is row 1
        if not any(value.strip() for value in values):
            continue  # blank lines, or rows of empty cells, as spreadsheets save them
        if len(values) != len(columns):
            problems.add(
                f"has {len(values)} values but the header has {len(columns)} columns",
                row=number,
            )
            continue
        row = _check_row(number, dict(zip(columns, values, strict=True)), problems, dates)
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
    if broken is not None:  # on the row after the last one split
        problems.add(f"the CSV cannot be read from here on ({broken})", row=len(records) + 2)
    _report(progress, len(records), len(records), READING)
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
    separated = next((name for name in columns if ";" in name or "\t" in name), None)
    if separated is not None:  # one misread header: everything else follows from it
        raise PeopleFileError(
            [
                f"row 1: the header '{separated}' is not separated by commas; save the file "
                "as CSV with commas between the columns"
            ]
        )
    for position, name in enumerate(columns):
        if not name:
            problems.append(f"row 1: column {position + 1} has no name (expected: {expected})")
        elif name not in ALL_COLUMNS:
            problems.append(
                f"row 1: unknown column '{name}' (expected: {expected}, and optionally "
                f"{', '.join(OPTIONAL_COLUMNS)})"
            )
        elif columns.index(name) != position:
            problems.append(f"row 1: the column '{name}' appears more than once")
    for name in COLUMNS:
        if name not in columns:
            problems.append(f"row 1: missing column '{name}'")
    if problems:
        raise PeopleFileError(problems)
    return columns


def _check_row(number, values, problems, dates):
    def error(column, message):
        problems.add(message, row=number, column=column)

    # A cell the export protected from spreadsheets reads as it was written.
    values = {column: csvcells.restore(value.strip()) for column, value in values.items()}
    # Invisible characters first: a value holding one is reported for that alone (and
    # never repeated in another message, where it would garble a terminal or a log).
    refused = set()
    for column, value in values.items():
        if _SUSPECT.search(value):
            validator = validators.multi_line if column == "rationale" else validators.single_line
            try:
                validator(value)
            except ValidationError as invalid:
                problems.add_validation_error(invalid, row=number, column=column)
                refused.add(column)
                values[column] = ""

    email = _email(values["email"], "email", error, required="email" not in refused)
    manager_email = _email(values["manager_email"], "manager_email", error, required=False)
    if email and manager_email == email:
        error("manager_email", "a person cannot be their own manager")
        manager_email = ""

    full_name = values["full_name"]
    if not full_name:
        if "full_name" not in refused:
            error("full_name", "must not be empty")
    elif len(full_name) > MAX_NAME:
        error("full_name", f"is {len(full_name)} characters long; at most {MAX_NAME} allowed")
    job_title = values["job_title"]
    if len(job_title) > MAX_NAME:
        error("job_title", f"is {len(job_title)} characters long; at most {MAX_NAME} allowed")

    for column in ("ladder", "track", "level"):
        if not values[column] and column not in refused:
            error(column, "must not be empty")
    rationale = values.get("rationale", "")
    if len(rationale) > MAX_RATIONALE:
        error("rationale", f"is {len(rationale)} characters long; at most {MAX_RATIONALE} allowed")
        rationale = ""

    return Row(
        number=number,
        email=email,
        full_name=full_name,
        job_title=job_title,
        manager_email=manager_email,
        ladder=values["ladder"],
        track=values["track"],
        level=values["level"],
        effective_date=(
            None if "effective_date" in refused else _date(values["effective_date"], error, dates)
        ),
        rationale="" if "rationale" in refused else rationale,
    )


def _email(value, column, error, *, required):
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


def _date(value, error, known):
    """The date of `value`, or None with its problems reported; `known` keeps the values
    checked already in this file, where the same few dates come back row after row."""
    if value not in known:
        messages = []
        known[value] = (_checked_date(value, messages.append), messages)
    date, messages = known[value]
    for message in messages:
        error("effective_date", message)
    return date


def _checked_date(value, refuse):
    if not value:
        refuse("must not be empty (use YYYY-MM-DD)")
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError
        date = datetime.date.fromisoformat(value)
    except ValueError:
        refuse(f"'{value}' is not a date (use YYYY-MM-DD, e.g. 2025-03-31)")
        return None
    if date > timezone.localdate():
        refuse(f"{value} is in the future; a level takes effect today or earlier")
        return None
    try:
        services.check_effective_date(date)  # the policy of every level change
    except ValidationError as invalid:
        for message in invalid.messages:
            refuse(message)
        return None
    return date


# Importing ------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What to write, found by checking the rows against the database."""

    rows: list
    by: object = None
    name: str = ""  # the file's name, for the level history
    placements: dict = field(default_factory=dict)  # row number -> (ladder, track, level)
    existing: dict = field(default_factory=dict)  # email -> the person's row in the database
    users: dict = field(default_factory=dict)  # email -> existing User to link
    db_people: dict = field(default_factory=dict)  # email -> (pk, manager email or "")
    everyone: dict = field(default_factory=dict)  # email -> every person's row in the database
    levels: dict = field(default_factory=dict)  # pk -> Level of the ladders named
    tracks: dict = field(default_factory=dict)  # pk -> Track of the ladders named
    level_changes: list = field(default_factory=list)  # (row, employee pk, track, level)
    level_since: dict = field(default_factory=dict)  # pk -> level_since once changed
    new_users: dict = field(default_factory=dict)  # email -> User created by the import
    created: dict = field(default_factory=dict)  # email -> pk of each person created
    problems: _Problems = field(default_factory=_Problems)
    progress: object = None  # progress(done, total, stage), see import_people

    def report(self, done, total, stage):
        _report(self.progress, done, total, stage)

    def rationale(self, row):
        """Why a row's level changes: the file's rationale, else where it came from."""
        if row.rationale:
            return row.rationale
        if self.name:
            return f"Imported from {self.name} by {made_by(self.by)}."
        return RATIONALE


class StalePreview(Exception):
    """The people or the ladder changed after the preview was shown: `preview` is what
    the file would do now."""

    def __init__(self, preview):
        self.preview = preview
        super().__init__("The people changed since the preview; nothing was imported.")


def preview(content, *, by=None, name="", progress=None):
    """What importing `content` would do now, as a `Preview`; nothing is written.

    Raises PeopleFileError listing every problem, as the import would. Step-downs are not
    problems here: they are flagged, for the importer to allow explicitly. `progress` is
    told how the checks go, as `import_people` tells it.
    """
    rows, problems = _read(content, progress)
    plan = _Plan(rows=rows, by=by, name=name, problems=problems, progress=progress)
    with transaction.atomic():  # the checks lock the people whose level would change
        _check_against_database(plan)
    plan.problems.raise_if_any()
    _report(progress, 0, 0, COMPARING)
    return _preview(plan)


def import_people(
    *,
    content,
    by=None,
    name="",
    expected=None,
    allow_step_down=False,
    notify=False,
    invite=False,
    request=None,
    domain=None,
    use_https=False,
    progress=None,
):
    """Create and update the people of a file; return an `ImportSummary`.

    New people get a sign-in without a password (username: their email), linked to an
    existing user of that username when there is one. With `invite`, each new sign-in
    gets Django's password-reset email, with links built from `request` or, without one
    (a command), from `domain` and `use_https`. A bad file raises PeopleFileError and
    writes nothing; so does a step down to a lower level, unless `allow_step_down`. With
    `notify`, each person whose level changes gets the email Assign level sends, and their
    manager a copy. Each person created or changed gets an entry in their admin history,
    saying what changed, from which file and, from its `rationale`, why (only with `by`:
    an entry names who made the change).
    `expected` is the fingerprint of the preview the importer saw: when the file would
    now do anything else, StalePreview is raised and nothing is written. `by` (None for
    the system) is recorded on the level history and must be allowed to assign the levels
    the file changes; `name`, the file's name, goes in the history's rationale when a row
    gives none.

    `progress`, when given, is called as `progress(done, total, stage)`: at the start and
    end of each stage and every `PROGRESS_EVERY` rows in between, `done` rising from 0 to
    `total` within a stage. The stages, in order: READING and CHECKING the rows (`total`:
    the rows of the file), COMPARING them with the people here (`total` 0: not measured),
    WRITING (`total`: the rows inserted or updated, of people, their sign-ins, level
    history and admin history), SAVING (the commit, not measured), then the level emails
    (`notifications.levels_assigned`) and PREPARING_ and SENDING_INVITATIONS (`total`: the
    emails). The writes are one transaction whatever `progress` does: it is called inside
    that transaction, so anything it writes to this database is seen only once the import
    commits, and undone with it; an exception it raises stops the import and undoes it.
    """
    if invite and request is None and not domain:
        raise ValueError("Invitations need a request or a domain to build their links.")
    rows, problems = _read(content, progress)
    plan = _Plan(rows=rows, by=by, name=name, problems=problems, progress=progress)
    try:
        with transaction.atomic():
            # Before reading any person: another import or change of the reporting lines
            # finishes first, and everything checked below is then as it will be written.
            locks.serialised(locks.REPORTING_LINES)
            _check_against_database(plan)
            if not plan.problems:  # a plan without problems has a preview
                _report(progress, 0, 0, COMPARING)
                changes = _preview(plan)  # before writing, from what the checks read
                if expected is not None and changes.fingerprint != expected:
                    raise StalePreview(changes)
                if not allow_step_down:
                    _refuse_step_downs(plan.problems, changes)
            plan.problems.raise_if_any()
            summary = _write(plan, changes)
            if notify:
                notifications.levels_assigned(_assignments_to_tell(plan), progress=progress)
            _report(progress, 0, 0, SAVING)  # the commit, as the transaction ends
    except IntegrityError:
        raise PeopleFileError([TRY_AGAIN]) from None
    except OperationalError as error:
        if not _contended(error):
            raise
        raise PeopleFileError([TRY_AGAIN]) from None

    summary.new_users = list(plan.new_users.values())
    if invite:
        summary.invited = send_invitations(
            summary.new_users,
            request=request,
            domain=domain,
            use_https=use_https,
            progress=progress,
        )
    return summary


def _log_entries(plan, preview, now):
    """An entry for the admin history of each person created or changed, with `by` alone
    (an entry names who made the change): what changed, from which file, and the row's
    rationale as why. As rows of `LOG_ENTRY_FIELDS`; `now`, the time, as stored."""
    if plan.by is None:
        return []
    source = plan.name or "a people file"
    rationale = {row.email: row.rationale for row in plan.rows}
    pks = {**{email: person.pk for email, person in plan.existing.items()}, **plan.created}
    content_type = ContentType.objects.get_for_model(Employee)
    entries = []
    for flag, changes in ((ADDITION, preview.created), (CHANGE, preview.updated)):
        for change in changes:
            what = "Added" if flag == ADDITION else f"Changed {change.labels}"
            message = f"{what} from {source}."
            if rationale.get(change.email):
                message += f" Why: {rationale[change.email]}"
            entries.append(
                (
                    now,
                    plan.by.pk,
                    content_type.pk,
                    str(pks[change.email]),
                    change.full_name[:200],
                    flag,
                    message,
                )
            )
    return entries


def _assignments_to_tell(plan):
    """The level changes written, each with what its emails name: the person (with their
    manager and ladder), the level, the track and who assigned it."""
    people = {}
    for batch in _batches(pk for _, pk, _, _ in plan.level_changes):
        people.update(
            (person.pk, person)
            for person in Employee.objects.filter(pk__in=batch).select_related("manager", "ladder")
        )
    return [
        LevelAssignment(
            employee=people[pk],
            level=level,
            track=track,
            effective_on=row.effective_date,
            assigned_by=plan.by,
            rationale=plan.rationale(row),
        )
        for row, pk, track, level in plan.level_changes
    ]


def step_down_problems(preview):
    """The problems an import of `preview`'s file reports, step-downs not being allowed:
    one for each step-down, as `PeopleFileError` lists them."""
    problems = _Problems()
    _refuse_step_downs(problems, preview)
    return problems.listed()


def _refuse_step_downs(problems, changes):
    for change in changes.step_downs:
        current, new = change.step_down
        problems.add(
            f"{change.full_name} would step down from {current} to {new}; "
            "step-downs are imported only when allowed explicitly",
            row=change.row,
            column="level",
        )


def _contended(error):
    """Whether a database error means "another writer was in the way", worth trying again:
    a deadlock, a serialisation failure or a lock wait that timed out (PostgreSQL), or a
    database locked by another writer for too long (SQLite)."""
    if getattr(error.__cause__, "sqlstate", None) in {"40001", "40P01", "55P03"}:
        return True
    return "database is locked" in str(error)


def _report(progress, done, total, stage):
    if progress is not None:
        progress(done, total, stage)


def _batches(items, size=LOOKUP_BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_against_database(plan):
    """Look up everything the rows name, in a fixed number of queries, and report what
    does not fit: unknown ladders, tracks and levels, placements the ladder does not
    allow, managers nobody knows, loops in the reporting lines, sign-ins taken, level
    changes out of order or not the importer's to make."""
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
        person.email.lower(): person
        for person in Employee.objects.order_by().values_list(
            "pk",
            "email",
            "full_name",
            "job_title",
            "manager_id",
            "ladder_id",
            "track_id",
            "level_id",
            "user_id",
            "is_active",
            "path",
            named=True,
        )
    }
    plan.everyone = everyone
    plan.levels = {level.pk: level for level in levels.values()}
    plan.tracks = {track.pk: track for track in tracks.values()}
    emails_by_pk = {person.pk: email for email, person in everyone.items()}
    plan.db_people = {
        email: (person.pk, emails_by_pk.get(person.manager_id, ""))
        for email, person in everyone.items()
    }
    plan.existing = {row.email: everyone[row.email] for row in rows if row.email in everyone}

    checked = {}  # (track pk, level pk) -> ValidationError or None, for services.check_placement
    for done, row in enumerate(rows):
        if done % PROGRESS_EVERY == 0:
            plan.report(done, len(rows), CHECKING)
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
        person = plan.existing.get(row.email)
        if person is not None:
            if person.ladder_id != ladder.pk:
                problems.add(
                    f"{person.full_name} is on another ladder; an import cannot move "
                    "people between ladders",
                    row=row.number,
                    column="ladder",
                )
                continue
            if (person.track_id, person.level_id) == (track.pk, level.pk):
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
    _check_level_changes(plan)
    plan.report(len(rows), len(rows), CHECKING)


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
    linkable = services.linkable_users(plan.by)
    users = _users_named(new_emails)
    allowed = set(linkable.filter(pk__in=[user.pk for user in users]).values_list("pk", flat=True))
    for user in users:
        email = user.get_username()
        taken_by = getattr(user, "employee", None)
        if taken_by is not None:
            plan.problems.add(
                f"the sign-in '{email}' already belongs to {taken_by.full_name} ({taken_by.email})",
                row=rows[email].number,
                column="email",
            )
        elif user.pk not in allowed:
            plan.problems.add(
                f"the sign-in '{email}' is a staff or superuser account, which only a "
                "superuser may link to a person; give this person another email",
                row=rows[email].number,
                column="email",
            )
        else:
            plan.users[email] = user


def _check_level_changes(plan):
    """The rules of services.assign_level, for every person of the file whose level or
    track changes, in a few queries: the importer may assign them a level (never their
    own), and the new level does not start before their current one. The people changing
    are locked first, as assign_level locks its person, so that a level assigned at the
    same moment on their page cannot slip in between."""
    changes = [
        (row, plan.existing[row.email])
        for row in plan.rows
        if row.email in plan.existing
        and row.number in plan.placements
        and row.effective_date is not None
    ]
    if not changes:
        return
    current, held_since, latest, allowed = {}, {}, {}, set()
    for batch in _batches(person.pk for _, person in changes):
        for pk, level_id, track_id, level_since in (
            Employee.objects.select_for_update()
            .filter(pk__in=batch)
            .values_list("pk", "level_id", "track_id", "level_since")
        ):
            current[pk], held_since[pk] = (level_id, track_id), level_since
        latest.update(
            LevelAssignment.objects.filter(employee_id__in=batch)
            .order_by()
            .values("employee_id")
            .annotate(latest=Max("effective_on"))
            .values_list("employee_id", "latest")
        )
        if plan.by is not None:
            allowed.update(
                access.restrict(Employee.objects.filter(pk__in=batch), plan.by, access.MANAGE)
                .order_by()
                .values_list("pk", flat=True)
            )
    for row, person in changes:
        _, track, level = plan.placements[row.number]
        if current.get(person.pk) == (level.pk, track.pk):
            continue  # assigned on their page since the file was read: nothing left to do
        if plan.by is not None and person.pk not in allowed:
            if person.user_id is not None and person.user_id == plan.by.pk:
                reason = (
                    "this is you, and nobody assigns their own level; ask your manager or "
                    "another HR person"
                )
            else:
                reason = f"only {person.full_name}'s managers and HR assign their level"
            plan.problems.add(reason, row=row.number, column="level")
            continue
        since = latest.get(person.pk)
        try:
            services.check_effective_date(row.effective_date, since=since)
        except ValidationError as error:
            if since is not None and row.effective_date < since:
                now = plan.levels[current[person.pk][0]].name
                plan.problems.add(
                    f"{person.full_name} has been {now} since {since.isoformat()}, after this "
                    f"row's {row.effective_date.isoformat()}: a level cannot start before the "
                    "current one. If the file is older than that change, export the people "
                    "again; otherwise give a later date",
                    row=row.number,
                    column="effective_date",
                )
            else:
                plan.problems.add_validation_error(error, row=row.number)
            continue
        plan.level_changes.append((row, person.pk, track, level))
        plan.level_since[person.pk] = services.since_after(
            current[person.pk][0], held_since[person.pk], level, row.effective_date
        )


# Previewing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of a person as it is (empty for someone new) and as the file has it."""

    label: str
    old: str
    new: str


@dataclass
class PersonChange:
    """A person of the file who would be created or changed, field by field."""

    row: int
    email: str
    full_name: str
    fields: list
    step_down: tuple | None = None  # (current level, new level) names, for a step down
    track_change: bool = False
    manager_change: bool = False
    level_change: bool = False
    changed_since: bool = False  # differs from the preview shown before (set by the page)

    @cached_property
    def digest(self):
        """A short sum of what changes for this person, to tell two previews apart (summed
        once: the fingerprint, the digests kept for the page and the marks all ask)."""
        # What dataclasses.astuple gives, in half the time (no deep copy).
        summed = json.dumps([(f.label, f.old, f.new) for f in self.fields], ensure_ascii=False)
        return hashlib.sha256(summed.encode()).hexdigest()[:16]

    @property
    def labels(self):
        """The names of the fields that change, e.g. "name, manager and level"."""
        names = [f.label.lower() for f in self.fields if not f.label.startswith("Why")]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass
class Preview:
    """What a file would do: the people created and changed, how many stay as they are,
    and the active people here whom the file leaves out (left alone). `fingerprint` sums
    it all up: an import confirmed against it is refused if anything differs by then."""

    name: str
    created: list
    updated: list
    unchanged: int
    missing: list  # (full name, email), by name
    fingerprint: str
    settled: list = field(default_factory=list)  # emails changed before, no longer

    @cached_property
    def step_downs(self):
        return [change for change in self.updated if change.step_down]

    @cached_property
    def track_changes(self):
        return [change for change in self.updated if change.track_change]

    @cached_property
    def manager_changes(self):
        return [change for change in self.updated if change.manager_change]

    @property
    def has_changes(self):
        return bool(self.created or self.updated)

    def digests(self):
        """{email: digest} of each person created or changed."""
        return {change.email: change.digest for change in [*self.created, *self.updated]}

    def mark_changed_since(self, shown):
        """Flag the people whose change differs from `shown` (an earlier `digests()`), and
        return them: what someone else changed between two previews."""
        changed = [
            change
            for change in [*self.updated, *self.created]
            if shown.get(change.email) != change.digest
        ]
        for change in changed:
            change.changed_since = True
        self.settled = sorted(set(shown) - set(self.digests()))
        return changed

    def __str__(self):
        text = (
            f"{_count(len(self.created), 'person', 'people')} to create, "
            f"{_count(len(self.updated), 'person', 'people')} to change, "
            f"{self.unchanged} unchanged"
        )
        flags = [
            _count(len(self.step_downs), "step-down", "step-downs"),
            _count(len(self.track_changes), "track change", "track changes"),
            _count(len(self.manager_changes), "manager change", "manager changes"),
        ]
        flags = [flag for flag in flags if not flag.startswith("0 ")]
        if flags:
            text += f" ({', '.join(flags)})"
        if self.missing:
            text += (
                f"; {_count(len(self.missing), 'person', 'people')} here "
                f"{'is' if len(self.missing) == 1 else 'are'} not in the file and "
                "will be left alone"
            )
        return text + "."

    def summary(self, limit, *, stale=False):
        """The preview as its page shows it, with the first `limit` people of each list."""
        changes = [*self.created, *self.updated]
        return PreviewSummary(
            name=self.name,
            text=str(self),
            fingerprint=self.fingerprint,
            counts={
                "created": len(self.created),
                "updated": len(self.updated),
                "unchanged": self.unchanged,
                "missing": len(self.missing),
                "step_downs": len(self.step_downs),
                "track_changes": len(self.track_changes),
                "manager_changes": len(self.manager_changes),
                "level_changes": sum(1 for change in self.updated if change.level_change),
                "changed_since": sum(1 for change in changes if change.changed_since),
                "settled": len(self.settled),
            },
            created=self.created[:limit],
            updated=self.updated[:limit],
            step_downs=self.step_downs[:limit],
            missing=[tuple(person) for person in self.missing[:limit]],
            settled=self.settled[:limit],
            stale=stale,
        )


@dataclass
class PreviewSummary:
    """A preview as its page shows it: every count, and the first people of each list
    (`Preview.summary`), with the fingerprint to confirm it by. It keeps as JSON
    (`as_json`, `from_json`), for a preview made by a background task to be shown later;
    `stale` says it was made because the people changed after an earlier one."""

    name: str
    text: str
    fingerprint: str
    counts: dict
    created: list  # PersonChange, the first ones
    updated: list
    step_downs: list
    missing: list  # (full name, email)
    settled: list
    stale: bool = False

    def __str__(self):
        return self.text

    @property
    def unchanged(self):
        return self.counts["unchanged"]

    @property
    def has_changes(self):
        return bool(self.counts["created"] or self.counts["updated"])

    def as_json(self):
        def change(person):
            return {
                **{name: getattr(person, name) for name in _CHANGE_FIELDS},
                "fields": [[f.label, f.old, f.new] for f in person.fields],
            }

        return {
            "name": self.name,
            "text": self.text,
            "fingerprint": self.fingerprint,
            "counts": self.counts,
            "created": [change(person) for person in self.created],
            "updated": [change(person) for person in self.updated],
            "step_downs": [change(person) for person in self.step_downs],
            "missing": [list(person) for person in self.missing],
            "settled": self.settled,
            "stale": self.stale,
        }

    @classmethod
    def from_json(cls, data):
        def change(values):
            values = dict(values)
            fields = [FieldChange(*field) for field in values.pop("fields")]
            step_down = tuple(values.pop("step_down") or ()) or None
            return PersonChange(**values, fields=fields, step_down=step_down)

        return cls(
            name=data["name"],
            text=data["text"],
            fingerprint=data["fingerprint"],
            counts=data["counts"],
            created=[change(values) for values in data["created"]],
            updated=[change(values) for values in data["updated"]],
            step_downs=[change(values) for values in data["step_downs"]],
            missing=[tuple(person) for person in data["missing"]],
            settled=data["settled"],
            stale=data["stale"],
        )


# What `PreviewSummary.as_json` keeps of each person, besides their fields.
_CHANGE_FIELDS = tuple(f.name for f in dataclasses.fields(PersonChange) if f.name != "fields")
PREVIEW_COLUMNS = ("what", "row", "email", "full_name", "changes", "flags")


def preview_lines(preview):
    """The whole of a `Preview` as lines of a CSV file, header first: each person created,
    each person changed (what changes, field by field, and the flags), and each person here
    whom the file leaves out. Cells are neutralised as the export's are."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(PREVIEW_COLUMNS)
    for what, changes in (("new", preview.created), ("changed", preview.updated)):
        for change in changes:
            fields = "; ".join(
                f"{f.label}: {f.old} → {f.new}" if f.old else f"{f.label}: {f.new}"
                for f in change.fields
            )
            flags = [
                name
                for name, flagged in (
                    ("step-down", change.step_down),
                    ("track change", change.track_change),
                    ("manager change", change.manager_change),
                    ("changed since your preview", change.changed_since),
                )
                if flagged
            ]
            cells = [change.email, change.full_name, fields, ", ".join(flags)]
            yield writer.writerow(
                [what, change.row, *(csvcells.neutralise(cell) for cell in cells)]
            )
    for full_name, email in preview.missing:
        cells = [email, full_name, "not in the file: left as they are", ""]
        yield writer.writerow(["left alone", "", *(csvcells.neutralise(cell) for cell in cells)])


def _count(number, one, many):
    return f"{number:,} {one if number == 1 else many}"


def _preview(plan):
    """The preview of a checked plan (one without problems)."""
    # People by their names as they are, and as the file would have them.
    names_now = {email: person.full_name for email, person in plan.everyone.items()}
    names = {**names_now, **{row.email: row.full_name for row in plan.rows}}

    def someone(email, names=names):
        return f"{names.get(email, email)} <{email}>" if email else "nobody"

    changing = {row.number: (track, level) for row, _, track, level in plan.level_changes}
    created, updated = [], []
    for row in plan.rows:
        current = plan.existing.get(row.email)
        if current is None:
            ladder, track, level = plan.placements[row.number]
            values = [
                ("Job title", row.job_title),
                ("Manager", someone(row.manager_email)),
                ("Ladder", ladder.name),
                ("Track", track.name),
                ("Level", f"{level.name} (from {row.effective_date.isoformat()})"),
            ]
            fields = [FieldChange(label, "", value) for label, value in values]
            created.append(PersonChange(row.number, row.email, row.full_name, fields))
            continue
        fields = []
        if current.full_name != row.full_name:
            fields.append(FieldChange("Name", current.full_name, row.full_name))
        if current.job_title != row.job_title:
            fields.append(FieldChange("Job title", current.job_title, row.job_title))
        old_manager = plan.db_people[row.email][1]
        manager_change = old_manager != row.manager_email
        if manager_change:
            fields.append(
                FieldChange("Manager", someone(old_manager, names_now), someone(row.manager_email))
            )
        step_down, track_change = None, False
        if row.number in changing:
            track, level = changing[row.number]
            old_track, old_level = plan.tracks[current.track_id], plan.levels[current.level_id]
            if track.pk != old_track.pk:
                track_change = True
                fields.append(FieldChange("Track", old_track.name, track.name))
            if is_step_down(old_level, level):
                step_down = (old_level.name, level.name)
            fields.append(
                FieldChange(
                    "Level", old_level.name, f"{level.name} (from {row.effective_date.isoformat()})"
                )
            )
            fields.append(FieldChange("Why, in the level history", "", plan.rationale(row)))
        if fields:
            updated.append(
                PersonChange(
                    row.number,
                    row.email,
                    row.full_name,
                    fields,
                    step_down=step_down,
                    track_change=track_change,
                    manager_change=manager_change,
                    level_change=row.number in changing,
                )
            )
    in_file = {row.email for row in plan.rows}
    missing = sorted(
        (
            (person.full_name, email)
            for email, person in plan.everyone.items()
            if person.is_active and email not in in_file
        ),
        key=lambda item: (item[0].casefold(), item[1]),
    )
    unchanged = len(plan.rows) - len(created) - len(updated)
    summed = json.dumps(
        [
            [[change.email, change.digest] for change in created],
            [[change.email, change.digest] for change in updated],
            unchanged,
            [email for _, email in missing],
        ],
        ensure_ascii=False,
    )
    return Preview(
        name=plan.name,
        created=created,
        updated=updated,
        unchanged=unchanged,
        missing=missing,
        fingerprint=hashlib.sha256(summed.encode()).hexdigest(),
    )


# Exporting ------------------------------------------------------------------------------


class _Echo:
    """A file that hands back what is written to it, for csv.writer to stream rows."""

    def write(self, value):
        return value


def export_lines():
    """Every active person as a line of a people file, header first, by name: what an
    import reads back without changing anything. Cells that a spreadsheet would run as
    formulas are neutralised (`pmladder.csvcells`). One query, read in chunks."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(COLUMNS)
    since = (
        LevelAssignment.objects.filter(employee=OuterRef("pk"))
        .order_by("-effective_on", "-id")
        .values("effective_on")[:1]
    )
    people = (
        Employee.objects.filter(is_active=True)
        .annotate(since=Subquery(since))
        .order_by("full_name", "id")
        .values_list(
            "email",
            "full_name",
            "job_title",
            "manager__email",
            "ladder__slug",
            "track__key",
            "level__key",
            "since",
        )
    )
    for values in people.iterator(chunk_size=WRITE_BATCH):
        *texts, since = values
        cells = [csvcells.neutralise(text) for text in texts]
        yield writer.writerow([*cells, since.isoformat() if since else ""])


def template_lines():
    """The header and one example row, placed on the first published ladder's first level."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    ladder, track, level, title = "product-management", "ic", "apm", "Associate Product Manager"
    first = Ladder.objects.published().order_by("name").first()
    if first is not None:
        path = next((path for path in track_paths(first) if path.levels), None)
        if path is not None:
            ladder, track = first.slug, path.track.key
            level, title = path.levels[0].key, path.levels[0].name
    yield writer.writerow(ALL_COLUMNS)
    yield writer.writerow(
        [
            "alex.example@your-company.example",
            "Alex Example",
            title,
            "",
            ladder,
            track,
            level,
            timezone.localdate().isoformat(),
            f"Joined as {title}.",
        ]
    )


# Writing --------------------------------------------------------------------------------


def _write(plan, changes):
    """Write what the checks found, in bulk, and return the summary: each row inserted or
    updated once, a batch per query, progress reported after each batch. The new people's
    ids are taken first (`_reserve_ids`), so that each of them is inserted once, with their
    manager and their path, even when their manager comes later in the file."""
    # Ids rather than objects, and values as the database stores them: cheaper by the
    # hundred thousand.
    by_id = plan.by.pk if plan.by is not None else None
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day = functools.cache(connection.ops.adapt_datefield_value)
    new_rows = [row for row in plan.rows if row.email not in plan.existing]
    pks = {email: pk for email, (pk, _) in plan.db_people.items()}
    new_pks = _reserve_ids(Employee, len(new_rows))
    plan.created = dict(zip([row.email for row in new_rows], new_pks, strict=True))
    pks.update(plan.created)
    paths = _new_paths(plan, pks)
    users = _new_users(plan, new_rows)
    updates, updated = _updates(plan, pks, paths)
    entries = _log_entries(plan, changes, now)
    writes = _Writes(
        plan,
        total=len(plan.level_changes)
        + sum(len(rows) for rows in updates.values())
        + len(users)
        + 2 * len(new_rows)
        + len(entries),
    )

    # The people here already: their level changes (a history row each), then their rows.
    writes.insert(
        LevelAssignment,
        ASSIGNMENT_FIELDS,
        [
            (pk, level.pk, track.pk, day(row.effective_date), by_id, plan.rationale(row), now)
            for row, pk, track, level in plan.level_changes
        ],
    )
    for fields, rows in updates.items():
        writes.update(Employee, rows, fields)

    # New people: sign-ins, then the people with their managers and paths, and their first
    # levels.
    writes.insert_objects(get_user_model(), users)
    plan.new_users = {user.get_username(): user for user in users}
    user_ids = {email: user.pk for email, user in [*plan.users.items(), *plan.new_users.items()]}
    people, firsts = [], []
    for row in new_rows:
        pk = pks[row.email]
        ladder, track, level = plan.placements[row.number]
        manager = pks[row.manager_email] if row.manager_email else None
        people.append(
            (
                pk,
                row.full_name,
                row.email,
                row.job_title,
                manager,
                paths[pk],
                ladder.pk,
                track.pk,
                level.pk,
                day(row.effective_date),
                user_ids[row.email],
                True,
                now,
            )
        )
        rationale = row.rationale or services.PLACED_RATIONALE
        firsts.append((pk, level.pk, track.pk, day(row.effective_date), by_id, rationale, now))
    writes.insert(Employee, EMPLOYEE_FIELDS, people)
    writes.insert(LevelAssignment, ASSIGNMENT_FIELDS, firsts)

    # Everyone's admin history.
    writes.insert(LogEntry, LOG_ENTRY_FIELDS, entries)
    return ImportSummary(
        created=len(new_rows),
        updated=len(updated),
        unchanged=len(plan.rows) - len(new_rows) - len(updated),
    )


def _updates(plan, pks, paths):
    """What changes for the people here already: their new values, as
    {fields: [(pk, value of each field), ...]}, grouped by the fields that change so that
    each person's row is updated once (a row updated twice is written and indexed twice);
    and the emails of the people whose level, track, name, title or manager changes."""
    values = collections.defaultdict(dict)  # pk -> {field: value}
    updated = set()
    day = connection.ops.adapt_datefield_value
    for row, pk, track, level in plan.level_changes:
        values[pk].update(level=level.pk, track=track.pk, level_since=day(plan.level_since[pk]))
        updated.add(row.email)
    for row in plan.rows:
        person = plan.existing.get(row.email)
        if person is None:
            continue
        manager_id = pks[row.manager_email] if row.manager_email else None
        new = (row.full_name, row.job_title, manager_id)
        if (person.full_name, person.job_title, person.manager_id) != new:
            values[person.pk].update(zip(("full_name", "job_title", "manager"), new, strict=True))
            updated.add(row.email)
    created = set(plan.created.values())
    for pk, path in paths.items():
        if pk not in created:  # new people are inserted with theirs
            values[pk]["path"] = path
    updates = collections.defaultdict(list)
    for pk, new in values.items():
        updates[tuple(new)].append((pk, *new.values()))
    return updates, updated


def _new_paths(plan, pks):
    """{pk: path} of the people whose path the import changes or sets (new people, people
    with a new manager and everyone below them): the reporting lines as the import leaves
    them, worked out in Python from those read before writing."""
    manager_of = {person.pk: person.manager_id for person in plan.everyone.values()}
    manager_of.update({pks[row.email]: pks.get(row.manager_email) for row in plan.rows})
    paths = {person.pk: person.path for person in plan.everyone.values()}
    return {pk: path for pk, path in tree_paths(manager_of).items() if paths.get(pk) != path}


def _new_users(plan, new_rows):
    """Sign-ins without a usable password, not saved yet, for the new people who have none."""
    return [
        services.new_sign_in(full_name=row.full_name, email=row.email)
        for row in new_rows
        if row.email not in plan.users
    ]


def _reserve_ids(model, count):
    """`count` unused ids of `model`, in increasing order, taken now so that rows can be
    inserted with their links to each other already set. PostgreSQL: from the id's
    sequence, as inserts take them, so no other writer can take them too. SQLite: after
    the highest id ever given (its AUTOINCREMENT counter); the transaction holds the
    database's write lock from its start (IMMEDIATE), so nobody else inserts meanwhile."""
    if not count:
        return []
    quote = connection.ops.quote_name
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), column, count],
            )
            return sorted(pk for (pk,) in cursor.fetchall())
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT MAX(pk) FROM (SELECT seq AS pk FROM sqlite_sequence WHERE name = %s "
                f"UNION ALL SELECT MAX({quote(column)}) FROM {quote(table)})",
                [table],
            )
            (highest,) = cursor.fetchone()
            start = (highest or 0) + 1
            return list(range(start, start + count))
    raise NotImplementedError(f"People imports do not support {connection.vendor} databases.")


class _Writes:
    """The bulk writes of an import, a batch per query, counting the rows written so far to
    report progress after each batch."""

    def __init__(self, plan, *, total):
        self.plan, self.total, self.done = plan, total, 0
        plan.report(0, total, WRITING)

    def _advance(self, count):
        self.done += count
        self.plan.report(self.done, self.total, WRITING)

    def insert_objects(self, model, objects):
        """Insert unsaved `objects`, each given its id first (unless it has one), their
        values as their fields store them: for models whose fields are not this module's to
        know, such as the user model."""
        missing = [obj for obj in objects if obj.pk is None]
        for obj, pk in zip(missing, _reserve_ids(model, len(missing)), strict=True):
            obj.pk = pk
        fields = model._meta.concrete_fields
        rows = [
            tuple(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields)
            for obj in objects
        ]
        self.insert(model, [field.name for field in fields], rows)

    def insert(self, model, fields, rows):
        """Insert `rows`, each a tuple of the values of `fields` as the database stores
        them: PostgreSQL's COPY, or one INSERT run for every row (SQLite). Building a model
        instance per row and each value through its field, as `bulk_create` does, costs
        several times more than the database's own work."""
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
        for batch in _batches(rows, WRITE_BATCH):
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # The driver's own cursor: Django's has no COPY, nor wraps its errors.
                    sql = f"COPY {table} ({columns}) FROM STDIN"
                    with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                        for row in batch:
                            copy.write_row(row)
                else:
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES "
                        f"({', '.join(['%s'] * len(fields))})",
                        batch,
                    )
            self._advance(len(batch))

    def update(self, model, rows, fields):
        """Set `fields` of the rows of `model` given as (pk, value of each field), with one
        `UPDATE … FROM (VALUES …)` a batch, joined on the id. Django's `bulk_update` writes
        a `CASE id WHEN … THEN …` of a branch per row instead, which the database walks
        branch by branch for every row: minutes for 100,000 people. In order of id, each
        batch bounded by its first and last: the database then reads those ids alone
        rather than the whole table, once a batch."""
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        pk = f"{table}.{quote(model._meta.pk.column)}"
        columns = [model._meta.get_field(name) for name in fields]
        assignments = ", ".join(
            f"{quote(column.column)} = {_typed(f'new_values.column{position}', column)}"
            for position, column in enumerate(columns, start=2)  # column1 is the id
        )
        row_sql = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
        for batch in _batches(sorted(rows), WRITE_BATCH):
            values = ", ".join([row_sql] * len(batch))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS new_values "
                    f"WHERE {pk} = new_values.column1 AND {pk} BETWEEN %s AND %s",
                    [*(value for row in batch for value in row), batch[0][0], batch[-1][0]],
                )
            self._advance(len(batch))


def _typed(sql, field):
    """`sql` as a value of `field`'s column. PostgreSQL types the columns of a VALUES list
    from what they hold (text for quoted values, and for a column of NULLs): each is cast
    to its column's type. SQLite stores a value as its column's affinity says."""
    if connection.vendor == "postgresql":
        return f"CAST({sql} AS {field.db_type(connection)})"
    return sql


def _users_named(usernames):
    """The users of these usernames, with their employee, a batch per query."""
    User = get_user_model()
    users = []
    for batch in _batches(usernames):
        users += User.objects.filter(**{f"{User.USERNAME_FIELD}__in": batch}).select_related(
            "employee"
        )
    return users


class _InvitationForm(PasswordResetForm):
    """Django's password-reset email for one given sign-in (which, being new, has no
    usable password: the stock form would skip it), kept in `messages` to be sent with
    the others rather than sent at once."""

    def __init__(self, *args, user, messages, **kwargs):
        self.user = user
        self.messages = messages
        super().__init__(*args, **kwargs)

    def get_users(self, email):
        return [self.user]

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # The message PasswordResetForm.send_mail builds.
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        self.messages.append(message)


def send_invitations(users, *, request=None, domain=None, use_https=False, progress=None):
    """Email each of `users` (sign-ins) a link to choose a password, built from `request`
    or else from `domain` and `use_https`, all over one connection to the mail server
    (thousands of connections, one a message, would take minutes); return how many were
    sent. A failing mail server is logged: the people are imported already.
    `progress`, as for `import_people`: PREPARING_ and SENDING_INVITATIONS."""
    messages = []
    for done, user in enumerate(users):
        if done % PROGRESS_EVERY == 0:
            _report(progress, done, len(users), PREPARING_INVITATIONS)
        form = _InvitationForm({"email": user.email}, user=user, messages=messages)
        form.is_valid()
        form.save(
            request=request,
            domain_override=None if request is not None else domain,
            use_https=request.is_secure() if request is not None else use_https,
            extra_email_context={"invitation": True},
        )
    sent = 0
    if not messages:
        return sent
    _report(progress, len(users), len(users), PREPARING_INVITATIONS)
    try:
        with mailers.default as mailer:
            for done, message in enumerate(messages):
                if done % PROGRESS_EVERY == 0:
                    _report(progress, done, len(messages), SENDING_INVITATIONS)
                try:
                    sent += mailer.send_messages([message])
                except Exception:
                    logger.exception("Could not send the invitation to %s", message.to[0])
    except Exception:
        logger.exception("Could not reach the mail server to send %d invitations", len(messages))
    _report(progress, len(messages), len(messages), SENDING_INVITATIONS)
    return sent

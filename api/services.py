"""
Writes of the API: personal access tokens, and the API's ways into the imports.

Tokens: `create_token` makes one and returns it with the text to show its owner once;
`revoke_token` switches one off for good; `user_for_token` finds who a token signs in.

People and ladders written through the API go through the same code as the files do:
`people_content(records)` turns the API's JSON records into a people file
(`assessments.peoplefile`), so the checks, the reporting lines, step-downs and the single
transaction are the import's own; `import_ladder_file` applies a ladder file as the
admin's confirmed import does (`levels.jobs.import_ladder`): read and checked by
`levels.ladderfile`, planned by `levels.importplan` under the import lock, written by
`levels.services.import_ladder`.
"""

import csv
import datetime
import hashlib
import io
import re
import secrets
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments import peoplefile
from levels import history, importplan, ladderfile
from levels import services as ladder_services
from pmladder import csvcells, locks

from .models import AccessToken

TOKEN_PREFIX = "pml_"
SHOWN_PREFIX = 12  # characters of the token kept to recognise it by: "pml_" and 8 more
MAX_EXPIRY_DAYS = 366 * 2
# Seconds between two writes of a token's "last used" time.
LAST_USED_EVERY = 60

# Tokens --------------------------------------------------------------------------------------


def hash_token(token):
    """The stored form of `token`: its SHA-256 hash in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, user, name, expires_on=None):
    """A new token for `user`: returns (the AccessToken, the token's text). The text is
    never stored, so it can be shown only now."""
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = "Give the token a name."
    elif len(name) > AccessToken._meta.get_field("name").max_length:
        errors["name"] = "Keep the name under 100 characters."
    today = timezone.localdate()
    if expires_on is not None:
        if expires_on < today:
            errors["expires_on"] = "The expiry date cannot be in the past."
        elif expires_on > today + datetime.timedelta(days=MAX_EXPIRY_DAYS):
            errors["expires_on"] = "A token expires within two years at most."
    if errors:
        raise ValidationError(errors)
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=text[:SHOWN_PREFIX],
        token_hash=hash_token(text),
        expires_on=expires_on,
    )
    return token, text


def revoke_token(*, token):
    """Switch `token` off for good (a revoked token stays listed, as revoked)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_token(text):
    """(user, token) signed in by the token `text`, or None when the token is unknown,
    revoked, expired, or its owner's sign-in is switched off. Notes when it was used (at
    most once a minute, to spare the database a write per request)."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 100:
        return None
    token = (
        AccessToken.objects.usable()
        .select_related("user")
        .filter(token_hash=hash_token(text), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


# People --------------------------------------------------------------------------------------

# A problem of the people import: "row 7, level: unknown level ..."
_PROBLEM = re.compile(r"^row (?P<row>\d+)(?:, (?P<column>[a-z_]+))?: (?P<message>.*)$", re.S)


def people_content(records):
    """A people file (CSV text) holding `records`, each a dict of the file's columns
    (`peoplefile.ALL_COLUMNS`): record i is the file's row i + 2. Cells are written as the
    app's own exports write them, so the import reads back exactly what was sent."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(peoplefile.ALL_COLUMNS)
    for record in records:
        row = []
        for column in peoplefile.ALL_COLUMNS:
            value = record.get(column)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            row.append(csvcells.neutralise(value))
        writer.writerow(row)
    return out.getvalue()


def record_problems(problems, *, prefix="records"):
    """The import's problems by record and field: {"records[0].level": [...], ...}; a
    problem of no row is listed under `prefix` alone."""
    fields = {}
    for problem in problems:
        match = _PROBLEM.match(problem)
        if match is None:
            fields.setdefault(prefix, []).append(problem)
            continue
        key = f"{prefix}[{int(match['row']) - 2}]"
        if match["column"]:
            key += f".{match['column']}"
        fields.setdefault(key, []).append(match["message"])
    return fields


@dataclass
class PeopleResult:
    """What writing people did (or, with `dry_run`, would do)."""

    dry_run: bool
    created: int
    updated: int
    unchanged: int
    invited: int = 0
    step_downs: tuple = ()


def upsert_people(
    *, records, by, allow_step_down=False, dry_run=False, notify=False, invite=False, request=None
):
    """Create and update people from `records` (see `people_content`) as a people file
    would: all or nothing, step-downs only with `allow_step_down`. With `dry_run`, what it
    would do, nothing written. Raises `peoplefile.PeopleFileError`."""
    content = people_content(records)
    if dry_run:
        preview = peoplefile.preview(content, by=by, name="the API request")
        return PeopleResult(
            dry_run=True,
            created=len(preview.created),
            updated=len(preview.updated),
            unchanged=preview.unchanged,
            step_downs=tuple(change.email for change in preview.step_downs),
        )
    summary = peoplefile.import_people(
        content=content,
        by=by,
        name="the API",
        allow_step_down=allow_step_down,
        notify=notify,
        invite=invite,
        request=request,
    )
    return PeopleResult(
        dry_run=False,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        invited=summary.invited,
    )


# Ladders -------------------------------------------------------------------------------------


@dataclass
class LadderResult:
    """What applying a ladder file did (or, with `dry_run`, would do)."""

    plan: importplan.ImportPlan
    dry_run: bool
    created: bool
    summary: str


class StaleLadder(Exception):
    """The ladder changed since the fingerprint the caller gave."""


def import_ladder_file(*, content, slug, by, name="", dry_run=False, expected=None):
    """Apply the ladder file `content` to ladder `slug`: a new slug makes a draft, a known
    one is brought in line with the file, as the admin's import does. Raises
    `ladderfile.LadderFileError` listing every problem (also when the file names another
    slug), and `StaleLadder` when `expected` (a plan's fingerprint) no longer holds."""
    spec = ladderfile.read(content, name=name)
    if spec["ladder"]["slug"] != slug:
        raise ladderfile.LadderFileError(
            [f"ladder.slug: the file is for '{spec['ladder']['slug']}', not '{slug}'"]
        )
    with history.acting_as(by), transaction.atomic():
        locks.serialised(locks.LADDER_IMPORT)
        plan = importplan.plan_import(spec)
        if plan.problems:
            raise ladderfile.LadderFileError(plan.problems)
        if expected is not None and plan.fingerprint != expected:
            raise StaleLadder(plan.fingerprint)
        summary = "new ladder" if plan.creates else (plan.summary() or "no changes")
        if dry_run:
            return LadderResult(plan=plan, dry_run=True, created=plan.creates, summary=summary)
        with history.reason(f"Imported through the API{f' from {name}' if name else ''}"):
            result = ladder_services.import_ladder(spec=spec, replace=not plan.creates)
        LogEntry.objects.log_actions(
            user_id=by.pk,
            queryset=[result.ladder],
            action_flag=ADDITION if result.created else CHANGE,
            change_message=f"Imported through the API: {summary}.",
            single_object=True,
        )
    return LadderResult(plan=plan, dry_run=False, created=result.created, summary=summary)

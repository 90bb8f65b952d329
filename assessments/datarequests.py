"""
Data requests about one person: everything held about them as one file, and the erasure of
someone who has left.

Export (`export_person`): the person's profile, their sign-in (never its password), their
level history, the evidence about them with each item's change history, the reviews of
them with their ratings, and the nominations of them with their decisions, feedback,
committee notes and endorsements, plus the admin history of their record. What they wrote
about other people is other people's data: only its counts are given. HR hands the file
over and decides what, if anything, to hold back (private notes, committee notes).

Erasure (`erase_person`): only for someone who has left (not active), all in one
transaction, and harmless when repeated. HR asks for it in the admin and it runs as a
background task (`start_erasure`, a `Job` of kind "person-erasure" whose page shows its
progress: first their own records, then every table searched for them, table by table);
while one is waiting or running, asking again leads to it rather than to a second one:
- their name becomes "Erased person #<id>", their email `erased-<id>@invalid.example`
  (a reserved domain no mail reaches), their job title is cleared;
- every free text about them is replaced by `ERASED` (empty texts stay empty): evidence
  descriptions, links and decline reasons and the copies kept in each item's history,
  review summaries, comments and acknowledgements and the evidence copied onto ratings,
  nomination cases, rationales, feedback, committee notes, endorsements, the frozen packet
  and the nomination's history, the rationales of their level history, and the "why" of
  their record's admin history;
- their sign-in is kept but made unusable and anonymous (not deleted: deleting it would
  also delete the admin history of what they did, and unlink what they wrote about others
  from any author). Its password becomes unusable, which also ends every session it had;
  it is inactive, without staff rights, groups or permissions, and its username, names
  and email are placeholders;
- their first name alone ("Remi led the review") is replaced only inside their own
  records: what is kept of their evidence, reviews, nominations and level history once
  the texts above are erased (older copies under other keys), and the history of their
  record and of their sign-in. There it plainly means them. It is replaced as a whole
  word written as a name ("Remi", "REMI", "Remi's"), never inside a longer word
  ("Remington"), and never under the keys of copies that name someone else (an author, a
  manager) or copy the ladder. A first name in anyone else's records is never touched:
  it may be someone else's;
- then their whole name (also written "Last, First"), email and username are replaced
  wherever they still appear in a text of any table (other people's texts, task records,
  uploaded people files, sign-in failure logs, ladder change history...): as whole words,
  whatever the case. A name that someone else also has is left in other texts (it is
  theirs too), a username that is a plain word ("pm", "report") only where it is a whole
  value, and other people's names and emails are never touched;
- counts, dates, levels, ratings, decisions and the rows themselves stay, so the
  organisation's figures (headcount, level history, ratings) do not change;
- the erasure is recorded in the person's admin history: who erased them and when.
"""

import json
import re

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch, Q
from django.db.models.functions import Cast
from django.urls import reverse

from jobs import runner
from jobs.models import Job
from levels.history import made_by
from pmladder import kept

from .models import Employee, Evidence, EvidenceChange, LevelAssignment, Review, ReviewRating

ERASED = "(erased)"
ERASED_DOMAIN = "invalid.example"
# A username that is a plain word ("pm", "report") is also a word of other texts.
PLAIN_WORD = re.compile(r"[^\W\d_]+")
# Keys of copied records (evidence, packets, decisions) that hold free text about the person.
FREE_TEXT_KEYS = frozenset(
    {
        "description",
        "link",
        "decline_reason",
        "summary",
        "comment",
        "acknowledgement",
        "case",
        "rationale",
        "feedback",
        "discussion",
    }
)
# Keys of copied records that name someone else or copy the ladder: a first name there is
# not the person's.
NOT_ABOUT_THEM_KEYS = frozenset(
    {
        "author_name",
        "changed_by_name",
        "manager",
        "category",
        "criterion",
        "expectation",
        "from_level",
        "label",
        "level",
        "name",
        "rule",
        "span_text",
        "target",
        "text",
        "track",
    }
)
# A first name this short ("J") is an initial, not a name.
FIRST_NAME_MIN_LENGTH = 2
REPLACING_RECORDS = "Replacing their records"
SEARCHING_TABLES = "Looking for their name in every table"
STILL_ACTIVE = (
    "{name} is still active: only someone who has left can be erased. Untick "
    "“active” on their record first."
)


def erased_name(employee):
    return f"Erased person #{employee.pk}"


def erased_email(employee):
    return f"erased-{employee.pk}@{ERASED_DOMAIN}"


def erased_username(employee):
    return f"erased-{employee.pk}"


def is_erased(employee):
    return employee.email == erased_email(employee)


# Export -----------------------------------------------------------------------------------


def _when(value):
    return value.isoformat() if value is not None else None


def export_person(employee):
    """Everything held about `employee`, as plain data for a JSON file (see the module's
    docstring for what is in it). A fixed number of queries, however long their history."""
    from rounds.models import Endorsement, Nomination, NominationChange

    person = (
        Employee.objects.select_related("user", "manager", "ladder", "track", "level")
        .prefetch_related(
            Prefetch(
                "assignments",
                LevelAssignment.objects.select_related("level", "track", "assigned_by"),
            ),
            Prefetch(
                "evidence",
                Evidence.objects.select_related("author", "decided_by").prefetch_related(
                    "criteria",
                    Prefetch("changes", EvidenceChange.objects.select_related("changed_by")),
                ),
            ),
            Prefetch(
                "reviews",
                Review.objects.select_related("author").prefetch_related(
                    Prefetch("ratings", ReviewRating.objects.order_by("position"))
                ),
            ),
            Prefetch(
                "nominations",
                Nomination.objects.select_related(
                    "round", "from_level", "target_level", "target_track", "nominated_by"
                )
                .select_related("decided_by")
                .prefetch_related(
                    Prefetch("endorsements", Endorsement.objects.order_by("created_at", "id")),
                    Prefetch("changes", NominationChange.objects.order_by("changed_at", "id")),
                ),
            ),
        )
        .get(pk=employee.pk)
    )
    user = person.user
    return {
        "format": "pm-ladder/person-data/v1",
        "person": {
            "id": person.pk,
            "full_name": person.full_name,
            "email": person.email,
            "job_title": person.job_title,
            "ladder": person.ladder.name,
            "track": person.track.name,
            "level": person.level.name,
            "manager": person.manager.full_name if person.manager else None,
            "active": person.is_active,
            "created_at": _when(person.created_at),
        },
        "sign_in": (
            {
                "username": user.get_username(),
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "active": user.is_active,
                "last_login": _when(user.last_login),
                "date_joined": _when(user.date_joined),
            }
            if user is not None
            else None
        ),
        "level_history": [
            {
                "effective_on": _when(row.effective_on),
                "level": row.level.name,
                "track": row.track.name,
                "assigned_by": made_by(row.assigned_by, nobody=None),
                "rationale": row.rationale,
                "recorded_at": _when(row.created_at),
            }
            for row in person.assignments.all()
        ],
        "evidence": [_evidence(item) for item in person.evidence.all()],
        "reviews": [_review(review) for review in person.reviews.all()],
        "nominations": [_nomination(nomination) for nomination in person.nominations.all()],
        "record_history": _record_history(person),
        "written_about_others": _written_about_others(person),
    }


def _evidence(item):
    return {
        "expectation": item.expectation_text,
        "category": item.category_name,
        "level": item.level_name,
        "kind": item.kind,
        "source": item.source,
        "visibility": item.visibility,
        "status": item.status,
        "observed_on": _when(item.observed_on),
        "description": item.description,
        "link": item.link,
        "promotion_criteria": sorted(c.name for c in item.criteria.all()),
        "author": made_by(item.author, nobody=None),
        "decided_by": made_by(item.decided_by, nobody=None),
        "decided_at": _when(item.decided_at),
        "decline_reason": item.decline_reason,
        "created_at": _when(item.created_at),
        "updated_at": _when(item.updated_at),
        "deleted_at": _when(item.deleted_at),
        "changes": [
            {
                "action": change.action,
                "by": made_by(change.changed_by, nobody=None),
                "at": _when(change.changed_at),
                "item_after": change.snapshot,
            }
            for change in sorted(item.changes.all(), key=lambda c: (c.changed_at, c.pk))
        ],
    }


def _review(review):
    return {
        "target_level": review.target_level_name,
        "status": review.status,
        "readiness": review.readiness,
        "summary": review.summary,
        "comment_from_the_person": review.acknowledgement,
        "author": made_by(review.author, nobody=None),
        "created_at": _when(review.created_at),
        "shared_at": _when(review.shared_at),
        "acknowledged_at": _when(review.acknowledged_at),
        "ratings": [
            {
                "category": rating.category_name,
                "expectation": rating.expectation_text,
                "rating": rating.rating,
                "comment": rating.comment,
                "evidence_when_shared": rating.evidence_snapshot,
            }
            for rating in review.ratings.all()
        ],
    }


def _nomination(nomination):
    return {
        "round": nomination.round.name,
        "from_level": nomination.from_level.name,
        "target_level": nomination.target_level.name,
        "target_track": nomination.target_track.name,
        "nominated_by": made_by(nomination.nominated_by, nobody=None),
        "cases": nomination.cases,
        "decision": nomination.decision,
        "rationale": nomination.rationale,
        "feedback": nomination.feedback,
        "committee_notes": nomination.discussion,
        "decided_by": made_by(nomination.decided_by, nobody=None),
        "decided_at": _when(nomination.decided_at),
        "created_at": _when(nomination.created_at),
        "packet_when_frozen": nomination.snapshot,
        "endorsements": [
            {"by": e.author_name, "text": e.text, "at": _when(e.created_at)}
            for e in nomination.endorsements.all()
        ],
        "history": [
            {
                "action": change.action,
                "by": change.changed_by_name,
                "at": _when(change.changed_at),
                "details": change.details,
            }
            for change in nomination.changes.all()
        ],
    }


def _record_history(person):
    """The admin history of the person's record: one query."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Employee), object_id=str(person.pk)
    ).select_related("user")
    return [
        {"at": _when(e.action_time), "by": made_by(e.user), "change": e.get_change_message()}
        for e in entries.order_by("action_time", "id")
    ]


def _written_about_others(person):
    """How much the person wrote about other people, counts only: one query a kind."""
    from rounds.models import Endorsement, Nomination

    if person.user_id is None:
        return {"evidence": 0, "reviews": 0, "nominations": 0, "endorsements": 0}
    by = person.user_id
    return {
        "evidence": Evidence.objects.filter(author_id=by).exclude(employee=person).count(),
        "reviews": Review.objects.filter(author_id=by).exclude(employee=person).count(),
        "nominations": Nomination.objects.filter(nominated_by_id=by)
        .exclude(employee=person)
        .count(),
        "endorsements": Endorsement.objects.filter(author_id=by)
        .exclude(nomination__employee=person)
        .count(),
    }


def export_json(employee):
    """`export_person` as the text of a JSON file."""
    from django.core.serializers.json import DjangoJSONEncoder

    return json.dumps(export_person(employee), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def export_file_name(employee):
    """The file's name: the person's id, never their name."""
    return f"person-{employee.pk}-data.json"


# Erasure ----------------------------------------------------------------------------------


def _blank_or_erased(text):
    return ERASED if text else text


def _scrub_keys(value):
    """`value` (copied JSON data) with the free texts under `FREE_TEXT_KEYS` erased."""
    if isinstance(value, dict):
        return {
            key: (
                _blank_or_erased(item)
                if key in FREE_TEXT_KEYS and isinstance(item, str)
                else _scrub_keys(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_keys(item) for item in value]
    return value


@transaction.atomic
def erase_person(employee, by, *, progress=None, leave=()):
    """Erase what is held about `employee`, who has left, as the module's docstring says;
    `by` is the user doing it. Returns False (and changes nothing) when they were erased
    already. Raises `ValidationError` for someone still active.

    `progress(done, total, stage)` (a task's `Progress`) hears of each stage, and of each
    table searched; the rows in `leave` (model instances: the task's own job) are not
    searched."""
    progress = progress or _no_progress
    person = (
        Employee.objects.select_for_update(of=("self",)).select_related("user").get(pk=employee.pk)
    )
    if person.is_active:
        raise ValidationError(STILL_ACTIVE.format(name=person.full_name), code="active")
    if is_erased(person):
        return False
    progress(0, 0, REPLACING_RECORDS)
    replacements = _identifiers(person)
    first_names = _first_names(person)
    _erase_free_text(person)
    _erase_record_history(person)
    _replace_first_name(person, first_names)
    if person.user is not None:
        _anonymise_sign_in(person)
    person.full_name, person.email, person.job_title = erased_name(person), erased_email(person), ""
    person.save(update_fields=["full_name", "email", "job_title"])
    _replace_everywhere(replacements, progress=progress, leave=leave)
    # The organisation view's kept figures may name them (as someone's manager, say).
    transaction.on_commit(kept.forget_everything)
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[person],
        action_flag=CHANGE,
        change_message="Erased their personal data (data request).",
        single_object=True,
    )
    employee.full_name, employee.email, employee.job_title = (
        person.full_name,
        person.email,
        person.job_title,
    )
    return True


def _no_progress(done, total, stage):
    pass


def _erase_free_text(person):
    """Every free text about the person, and the copies kept of it, replaced by `ERASED`:
    a query a column, and one a table of copies (`FREE_TEXT_KEYS`) plus their writes."""
    from rounds.models import Endorsement, Nomination, NominationChange

    for model, fields, scope in [
        (LevelAssignment, ["rationale"], Q(employee=person)),
        (Evidence, ["description", "link", "decline_reason"], Q(employee=person)),
        (Review, ["summary", "acknowledgement"], Q(employee=person)),
        (ReviewRating, ["comment"], Q(review__employee=person)),
        (Nomination, ["rationale", "feedback", "discussion"], Q(employee=person)),
        (Endorsement, ["text"], Q(nomination__employee=person)),
    ]:
        for field in fields:
            model.objects.filter(scope).exclude(**{field: ""}).update(**{field: ERASED})
    for model, field, scope in [
        (EvidenceChange, "snapshot", Q(evidence__employee=person)),
        (ReviewRating, "evidence_snapshot", Q(review__employee=person)),
        (Nomination, "cases", Q(employee=person)),
        (Nomination, "snapshot", Q(employee=person)),
        (NominationChange, "details", Q(nomination__employee=person)),
    ]:
        rows = list(model.objects.filter(scope).only("pk", field))
        for row in rows:
            setattr(row, field, _scrub_keys(getattr(row, field)))
        model.objects.bulk_update(rows, [field], batch_size=500)


def _erase_record_history(person):
    """The person's admin history keeps what changed and when; the "why" typed with each
    change goes, and the record is named by its placeholder."""
    entries = list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Employee), object_id=str(person.pk)
        )
    )
    for entry in entries:
        entry.object_repr = erased_name(person)
        summary, why, _ = entry.change_message.partition(" Why: ")
        if why:
            entry.change_message = f"{summary} Why: {ERASED}"
    LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])


def _anonymise_sign_in(person):
    user = person.user
    user.set_unusable_password()
    user.username = erased_username(person)
    user.first_name, user.last_name = "Erased", f"person #{person.pk}"
    user.email = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(get_user_model()),
        object_id=str(user.pk),
    ).update(object_repr=user.username)


def _identifiers(person):
    """[(text, placeholder, whole_value_only)] to replace in every table: the person's
    whole name and emails, and their username (as a whole value only when it is a plain
    word)."""
    User = get_user_model()
    found = []
    name_taken = (
        Employee.objects.filter(full_name__iexact=person.full_name).exclude(pk=person.pk).exists()
    )
    if not name_taken:
        found.append((person.full_name, erased_name(person), False))
        for variant in _name_variants(person):
            found.append((variant, erased_name(person), False))
    found.append((person.email, erased_email(person), False))
    user = person.user
    if user is not None:
        if user.email and user.email.lower() != person.email.lower():
            found.append((user.email, erased_email(person), False))
        full = user.get_full_name()
        if full and full.lower() != person.full_name.lower() and not name_taken:
            others = User.objects.exclude(pk=user.pk)
            if not others.filter(first_name=user.first_name, last_name=user.last_name).exists():
                found.append((full, erased_name(person), False))
        username = user.get_username()
        found.append((username, erased_username(person), bool(PLAIN_WORD.fullmatch(username))))
    return [(text, new, exact) for text, new, exact in found if text.strip()]


def _split_names(person):
    """[(first, last)] of the person: their sign-in's names, and their whole name cut at
    its first space."""
    found = []
    user = person.user
    if user is not None and user.first_name.strip() and user.last_name.strip():
        found.append((user.first_name.strip(), user.last_name.strip()))
    first, _, last = person.full_name.strip().partition(" ")
    if last.strip():
        found.append((first, last.strip()))
    return found


def _name_variants(person):
    """The whole name as lists write it: "Last, First"."""
    variants = []
    for first, last in _split_names(person):
        variant = f"{last}, {first}"
        if variant.lower() not in {v.lower() for v in variants}:
            variants.append(variant)
    return variants


def _first_names(person):
    """The person's first names (as their record and their sign-in have them), to replace
    inside their own records; none shorter than `FIRST_NAME_MIN_LENGTH`."""
    names = {first for first, _ in _split_names(person)}
    if person.user is not None and person.user.first_name.strip():
        names.add(person.user.first_name.strip())
    return sorted(name for name in names if len(name) >= FIRST_NAME_MIN_LENGTH)


def first_name(employee):
    """The person's first name as their record has it, for pages that explain the erasure."""
    return employee.full_name.strip().partition(" ")[0]


def _first_name_pattern(names):
    """A first name as a whole word, written as a name: capitalised ("Remi", "Remi's") or
    in capitals, so that a name that is also a word ("Will") is not found in "will";
    never inside a longer word ("Remington", "Remi2") or an address."""
    forms = sorted({form for name in names for form in (name[:1].upper() + name[1:], name.upper())})
    forms.sort(key=len, reverse=True)
    return re.compile(rf"(?<![\w@.+-])(?:{'|'.join(re.escape(f) for f in forms)})(?!\w|@|[.+-]\w)")


def _replace_first_name(person, names):
    """The person's first name, as a word, replaced by their placeholder inside their own
    records only (see the module's docstring): their kept copies (JSON, under keys that
    are not `NOT_ABOUT_THEM_KEYS`), their free texts, and the admin history of their
    record and of their sign-in. One query a table, and a write for each row that
    changes."""
    from rounds.models import Endorsement, Nomination, NominationChange

    if not names:
        return
    pattern, new = _first_name_pattern(names), erased_name(person)

    def fix(value, key=None):
        if isinstance(value, str):
            return value if key in NOT_ABOUT_THEM_KEYS else pattern.sub(new, value)
        if isinstance(value, dict):
            return {k: fix(item, k) for k, item in value.items()}
        if isinstance(value, list):
            return [fix(item, key) for item in value]
        return value

    own = [
        (LevelAssignment, ["rationale"], Q(employee=person)),
        (Evidence, ["description", "link", "decline_reason"], Q(employee=person)),
        (EvidenceChange, ["snapshot"], Q(evidence__employee=person)),
        (Review, ["summary", "acknowledgement"], Q(employee=person)),
        (ReviewRating, ["comment", "evidence_snapshot"], Q(review__employee=person)),
        (
            Nomination,
            ["cases", "snapshot", "rationale", "feedback", "discussion"],
            Q(employee=person),
        ),
        (Endorsement, ["text"], Q(nomination__employee=person)),
        (NominationChange, ["details"], Q(nomination__employee=person)),
    ]
    histories = Q(
        content_type=ContentType.objects.get_for_model(Employee), object_id=str(person.pk)
    )
    if person.user_id is not None:
        histories |= Q(
            content_type=ContentType.objects.get_for_model(get_user_model()),
            object_id=str(person.user_id),
        )
    own.append((LogEntry, ["change_message"], histories))
    for model, fields, scope in own:
        rows = list(model.objects.filter(scope).only("pk", *fields))
        changed = []
        for row in rows:
            if model is LogEntry and row.change_message.startswith("["):
                continue  # the admin's own list of the fields changed: no free text
            before = [getattr(row, field) for field in fields]
            after = [fix(value) for value in before]
            if after != before:
                for field, value in zip(fields, after, strict=True):
                    setattr(row, field, value)
                changed.append(row)
        if changed:
            model.objects.bulk_update(changed, fields, batch_size=500)


def _pattern(text):
    """`text` as a whole word, whatever the case: a name between any non-letters ("@Wren
    Erasable,"), an email or username not inside a longer one ("xwren@..."), though it
    may end a sentence."""
    if " " in text.strip():  # a name
        return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)
    return re.compile(rf"(?<![\w.@+-]){re.escape(text)}(?![\w@+-]|\.\w)", re.IGNORECASE)


def _text_fields(model):
    """The columns of `model` that may hold the person's name, email or username: every
    text and JSON column but choices and the identities of everyone else (the person's
    own are replaced already)."""
    User = get_user_model()
    identities = {
        Employee: {"full_name", "email"},
        User: {User.USERNAME_FIELD, "first_name", "last_name", "email"},
    }.get(model, set())
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
        and not field.choices
        and field.name not in identities
    ]


def _searched_models():
    """The tables searched for the person: every table with a text or JSON column."""
    from django.apps import apps

    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed and _text_fields(model)
    ]


def _replace_everywhere(replacements, *, progress=_no_progress, leave=()):
    """Replace each (text, placeholder, whole_value_only) in every text of every table
    (`progress` hears of each table searched), but in the rows `leave`: one query a table
    finds the rows that may hold one, and each row that does is updated."""

    patterns = [(_pattern(text), new, text, exact) for text, new, exact in replacements]

    def fix(value):
        if isinstance(value, str):
            for pattern, new, text, exact in patterns:
                if exact:
                    value = new if value.lower() == text.lower() else value
                else:
                    value = pattern.sub(new, value)
            return value
        if isinstance(value, dict):
            return {fix(key): fix(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fix(item) for item in value]
        return value

    searched = _searched_models()
    left = {}
    for row in leave:
        left.setdefault(type(row), []).append(row.pk)
    progress(0, len(searched), SEARCHING_TABLES)
    for done, model in enumerate(searched, start=1):
        _replace_in_table(model, patterns, fix, left.get(model, []))
        progress(done, len(searched), SEARCHING_TABLES)


def _replace_in_table(model, patterns, fix, left):
    """`_replace_everywhere` in the table of `model`, but in the rows whose ids are `left`."""
    fields = _text_fields(model)
    annotations, found = {}, Q()
    for field in fields:
        column = field.attname
        if isinstance(field, models.JSONField):
            column = f"_erasure_{field.attname}"
            annotations[column] = Cast(field.attname, models.TextField())
        for _, _, text, exact in patterns:
            if exact and not isinstance(field, models.JSONField):
                found |= Q(**{f"{column}__iexact": text})
                continue
            found |= Q(**{f"{column}__icontains": text})
            escaped = json.dumps(text)[1:-1]
            if escaped != text:  # JSON kept with non-ASCII letters escaped
                found |= Q(**{f"{column}__icontains": escaped})
    names = [field.attname for field in fields]
    rows = (
        model._base_manager.annotate(**annotations)
        .filter(found)
        .exclude(pk__in=left)
        .only("pk", *names)
    )
    for row in rows:
        changed = {}
        for name in names:
            before = getattr(row, name)
            after = fix(before)
            if after != before:
                changed[name] = after
        if changed:
            model._base_manager.filter(pk=row.pk).update(**changed)


# The erasure as a background task ------------------------------------------------------------


def pending_erasure(employee):
    """The task erasing `employee`, while it waits or runs, if there is one."""
    return (
        Job.objects.filter(kind=Job.Kind.PERSON_ERASURE, params__employee=employee.pk)
        .exclude(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED])
        .order_by("created_at", "id")
        .first()
    )


def start_erasure(employee, *, by):
    """Queue the erasure of `employee` by `by` (whose rights the caller checked); return
    (its job, whether it was started now). While one waits or runs, it is that one: a
    second at once would only wait for the first and then find them erased. The job is
    named by the record's id, never by the person's name."""
    pending = pending_erasure(employee)
    if pending is not None:
        return pending, False
    job = runner.start(
        Job.Kind.PERSON_ERASURE,
        by=by,
        title=f"Erase person #{employee.pk}",
        employee=employee.pk,
    )
    return job, True


def erase_in_background(job, progress):
    """The work of a "person-erasure" task (`jobs.runner.WORK`): `erase_person` with the
    task's progress, recorded as done by whoever asked. Refused, with nothing changed, for
    someone active again or gone, or when whoever asked has no sign-in any more."""
    employee = Employee.objects.filter(pk=job.params.get("employee")).first()
    if employee is None:
        raise runner.Refused("This person's record no longer exists, so nothing was erased.")
    back = {
        "url": reverse("admin:assessments_employee_change", args=[employee.pk]),
        "label": "Open their record",
    }
    if job.requested_by is None:
        raise runner.Refused(
            "Whoever asked for this erasure no longer has a sign-in, so nothing was erased: "
            "ask again.",
            **back,
        )
    has_sign_in, texts = _held_about(employee)
    try:
        erased = erase_person(employee, job.requested_by, progress=progress, leave=[job])
    except ValidationError as error:
        raise runner.Refused("Nothing was erased: " + " ".join(error.messages), **back) from None
    if not erased:
        return runner.Outcome(f"{employee} was erased already: nothing more changed.", **back)
    gone = "Their name, email and job title are gone"
    if has_sign_in:
        gone += ", their sign-in can never be used again"
    if texts:
        gone += f", and the texts of {texts} read “{ERASED}”"
    return runner.Outcome(
        f"Erased: this record is now {employee} ({employee.email}). {gone}. Their name, "
        "email and username were also replaced wherever else they appeared. Their level "
        "history, dates and ratings are kept, without their name or texts, and the "
        "erasure is noted in their record's history.",
        **back,
    )


def _held_about(employee):
    """What the erasure takes: (whether they have a sign-in, the records whose texts go in
    words: "2 evidence items, 1 review and 1 nomination", or ""). A query a kind."""
    from rounds.models import Nomination

    counts = [
        (
            LevelAssignment.objects.filter(employee=employee).count(),
            "level-history entry",
            "level-history entries",
        ),
        (Evidence.objects.filter(employee=employee).count(), "evidence item", "evidence items"),
        (Review.objects.filter(employee=employee).count(), "review", "reviews"),
        (Nomination.objects.filter(employee=employee).count(), "nomination", "nominations"),
    ]
    listed = [f"{n:,} {one if n == 1 else many}" for n, one, many in counts if n]
    texts = ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else "".join(listed)
    return employee.user_id is not None, texts

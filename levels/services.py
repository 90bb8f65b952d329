"""Writes to the ladder: importing ladder files, loading the default ladder, duplicating a
ladder, publishing and retiring one, and replacing a published ladder by a revised draft.

A ladder created here starts as a draft (see `models.Ladder.Status`), except the shipped
ladder and an import asked to publish; updating a ladder by import keeps its status. A
ladder people are on cannot be retired: they would sit on a ladder nobody can open.

Imports and copies run one at a time (`pmladder.locks.LADDER_IMPORT`, taken first in their
transaction): a second one waits for the first to commit, then sees its ladder, so two
imports of the same new file give one ladder and a clear refusal (or, with replace, an
update), never a database error. A clash with another writer that the lock does not cover
(an edit in the admin during an import) is turned into a clear problem too. Every
expectation, track place and comparison value written is checked to link parts of one
ladder (`models.check_same_ladder`), in Python and without a query per row.
"""

import copy
import functools
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pmladder import locks

from . import history, importplan, ladderfile, rules
from .models import (
    Aspect,
    AspectValue,
    Category,
    Expectation,
    FAQEntry,
    Ladder,
    Level,
    PromotionBlocker,
    PromotionCriterion,
    Track,
    TrackLevel,
    check_same_ladder,
)

DEFAULT_LADDER_FILE = Path(__file__).resolve().parent / "data" / "product-management.yaml"


@dataclass(frozen=True)
class ImportResult:
    ladder: Ladder
    created: bool


def import_ladder(*, spec, replace=False, publish=False):
    """
    Write a checked ladder spec (see `ladderfile.read`) to the database.

    A new slug creates a ladder: a draft, or published with `publish`. An existing slug is
    refused unless `replace` is set; then the ladder is brought in line with the spec in
    place (its status kept), matching categories, levels and tracks by key so that records
    pointing at them stay valid. A level missing from the
    spec is deleted, or retired when something still points at it. Imports run one at a
    time; anything refused raises `LadderFileError` and writes nothing.
    """
    slug = spec["ladder"]["slug"]
    try:
        with transaction.atomic():
            locks.serialised(locks.LADDER_IMPORT)
            return _import_ladder(spec, replace, publish)
    except IntegrityError:
        # Someone changed the ladder outside an import (e.g. in the admin) meanwhile.
        raise ladderfile.LadderFileError(
            [
                f"ladder.slug: the ladder '{slug}' was changed by someone else during the "
                "import, so nothing was imported; import the file again"
            ]
        ) from None
    except ValidationError as error:
        raise ladderfile.LadderFileError(error.messages) from None


def _import_ladder(spec, replace, publish):
    slug = spec["ladder"]["slug"]
    ladder = Ladder.objects.select_for_update().filter(slug=slug).first()
    if ladder is not None and not replace:
        raise ladderfile.LadderFileError(
            [f"ladder.slug: a ladder '{slug}' already exists; import with replace to update it"]
        )
    created = ladder is None
    if created:
        status = Ladder.Status.PUBLISHED if publish else Ladder.Status.DRAFT
        ladder = Ladder(slug=slug, status=status)

    def describe(ladder):
        ladder.name = spec["ladder"]["name"]
        ladder.description = spec["ladder"]["description"]
        rule = spec["ladder"].get("readiness", ladderfile.DEFAULT_READINESS)
        ladder.ready_coverage = rule["coverage"]
        ladder.ready_span_months = rule["span_months"]
        ladder.proficiency_scale = "\n".join(spec["ladder"].get("proficiency", []))

    _save_if_changed(ladder, describe)

    categories = _sync_categories(ladder, spec["categories"])
    levels = _sync_levels(ladder, spec["levels"])
    _sync_expectations(levels, categories, spec["levels"])
    _sync_tracks(ladder, levels, spec["tracks"])
    _sync_comparison(ladder, levels, spec["comparison"])
    _replace_guidance(ladder, spec["promotion"], spec["faq"])
    return ImportResult(ladder=ladder, created=created)


@functools.cache
def _default_spec():
    """The shipped ladder file, read and checked once a process (it ships with the code)."""
    return ladderfile.read(DEFAULT_LADDER_FILE.read_bytes(), name=DEFAULT_LADDER_FILE.name)


def load_default_ladder():
    """Load the Product Management ladder shipped with the app, unless it is there already."""
    spec = copy.deepcopy(_default_spec())  # the import may adjust what it is given
    with transaction.atomic():
        locks.serialised(locks.LADDER_IMPORT)  # two deploys at once load it once
        existing = Ladder.objects.filter(slug=spec["ladder"]["slug"]).first()
        if existing is not None:
            return ImportResult(ladder=existing, created=False)
        with history.reason("Default ladder loaded"):
            return import_ladder(spec=spec, publish=True)


def _values(row):
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def _save_if_changed(row, make, *args):
    """Apply `make(row, *args)` and save the row if that changed it (or it is new), so an
    unchanged row gets no write and no new version in its history."""
    before = None if row.pk is None else _values(row)
    make(row, *args)
    if before is None or _values(row) != before:
        row.save()
    return row


def _sync_by_key(model, existing, items, make):
    """Create or update `model` rows to match `items` (dicts with a 'key'); return key -> row."""
    rows = {}

    def place(row, item, position):
        make(row, item)
        row.position = position

    for position, item in enumerate(items):
        row = existing.pop(item["key"], None) or model(key=item["key"])
        rows[item["key"]] = _save_if_changed(row, place, item, position)
    return rows


def _sync_categories(ladder, items):
    existing = {category.key: category for category in ladder.categories.all()}

    def make(category, item):
        category.ladder = ladder
        category.name = item["name"]
        category.description = item.get("description", "")
        category.group = item.get("group", "")
        category.is_active = item["active"]

    categories = _sync_by_key(Category, existing, items, make)
    in_use = rules.in_use(Category, [category.pk for category in existing.values()])
    refused = [rules.category_in_use(c.key) for c in existing.values() if c.pk in in_use]
    if refused:
        raise ladderfile.LadderFileError(refused)
    for leftover in existing.values():
        leftover.delete()
    return categories


def _sync_levels(ladder, items):
    existing = {level.key: level for level in ladder.levels.all()}

    def make(level, item):
        level.ladder = ladder
        for field in ("name", "short_name", "code", "grade", "summary", "next_step"):
            setattr(level, field, item[field])
        level.is_active = item["active"]

    levels = _sync_by_key(Level, existing, items, make)
    for leftover in existing.values():
        _delete_or_retire(leftover)
    return levels


def _delete_or_retire(row):
    """Delete a level or track, or retire it when records about people point at it
    (`rules.in_use`)."""
    if not rules.in_use(type(row), [row.pk]):
        row.delete()
    elif row.is_active:
        row.is_active = False
        row.save(update_fields=["is_active"])


def _sync_expectations(levels, categories, items):
    """Bring each level's expectations in line with the spec, keeping rows (and so what
    was recorded against them) as `rules.match` pairs them: by key, then by the same text,
    then as rewordings in order. Rows left over are deleted, or retired when in use; a
    retired row whose key comes back is brought back."""
    category_keys = {category.pk: key for key, category in categories.items()}
    existing = {}
    # Expectations of retired categories too: the file lists them under their category.
    rows = Expectation.objects.filter(level__in=levels.values()).order_by("position", "id")
    for expectation in rows:
        if expectation.is_active or expectation.key:
            existing.setdefault(expectation.level_id, []).append(expectation)
    to_create, to_update, to_delete = [], [], []
    for item in items:
        level = levels[item["key"]]
        keys = {e["key"] for es in item["expectations"].values() for e in es if e["key"]}
        # A retired row takes part only through its key.
        old = [row for row in existing.pop(level.pk, []) if row.is_active or row.key in keys]
        new = [
            (category_key, position, expectation)
            for category_key, expectations in item["expectations"].items()
            for position, expectation in enumerate(expectations)
        ]
        pairs = rules.match(
            [rules.Listed(category_keys[row.category_id], row.key, row.text) for row in old],
            [rules.Listed(key, e["key"], e["text"]) for key, _, e in new],
        )
        for j, (category_key, position, expectation) in enumerate(new):
            wanted = {
                "category_id": categories[category_key].pk,
                "text": expectation["text"],
                "position": position,
                **{name: expectation[name] for name in EXPECTATION_DETAILS},
                "is_active": True,
            }
            if j not in pairs:
                row = Expectation(level=level, category=categories[category_key], **wanted)
                to_create.append(row)
                continue
            row = old[pairs[j]]
            if any(getattr(row, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(row, name, value)
                to_update.append(row)
        taken = set(pairs.values())
        to_delete.extend(row for i, row in enumerate(old) if i not in taken and row.is_active)
    for rows in existing.values():
        to_delete.extend(row for row in rows if row.is_active)
    for row in to_create:
        check_same_ladder(row, "level", "category")
    for row in to_update:
        row.category = categories[category_keys[row.category_id]]
        check_same_ladder(row, "level", "category")
    _delete_or_retire_expectations([row.pk for row in to_delete])
    history.bulk_update(
        Expectation,
        to_update,
        ["category", "text", "position", *EXPECTATION_DETAILS, "is_active"],
    )
    history.bulk_create(Expectation, to_create)


# What a ladder file says of an expectation beside its text.
EXPECTATION_DETAILS = ("key", "examples", "links", "proficiency")


def _delete_or_retire_expectations(pks):
    """Delete expectations nobody recorded anything against; retire the others, so the
    evidence and reviews that point at them keep their place."""
    dropped = Expectation.objects.filter(pk__in=pks)
    in_use = rules.in_use(Expectation, pks)
    retire(dropped.filter(pk__in=in_use))
    dropped.exclude(pk__in=in_use).delete()


def retire(queryset):
    """Retire the active rows of `queryset` (levels, expectations, tracks or categories),
    recording it in their history; return how many were retired."""
    return _set_active(queryset, False)


def bring_back(queryset):
    """Undo `retire` for the retired rows of `queryset`; return how many came back."""
    return _set_active(queryset, True)


def _set_active(queryset, active):
    rows = list(queryset.filter(is_active=not active))
    for row in rows:
        row.is_active = active
    return history.bulk_update(queryset.model, rows, ["is_active"])


def stranded_levels(ladder):
    """The ladder's active levels that are on no active track: nobody can be placed on
    them (retire them too, or put them on an active track)."""
    return list(
        ladder.levels.active()
        .exclude(track_levels__track__is_active=True)
        .order_by("position", "id")
    )


def _sync_tracks(ladder, levels, items):
    existing = {track.key: track for track in ladder.tracks.all()}

    def make(track, item):
        track.ladder = ladder
        track.name = item["name"]
        track.description = item["description"]
        track.best_for = "\n".join(item["best_for"])
        track.challenges = "\n".join(item["challenges"])
        track.is_active = item["active"]

    tracks = _sync_by_key(Track, existing, items, make)
    for leftover in existing.values():
        _delete_or_retire(leftover)
    wanted = [
        TrackLevel(track=tracks[item["key"]], level=levels[key], position=position)
        for item in items
        for position, key in enumerate(item["levels"])
    ]
    for row in wanted:
        check_same_ladder(row, "track", "level")
    _sync_rows(
        # A track left out of the file (retired because people are on it) keeps its levels.
        TrackLevel.objects.filter(track__in=tracks.values()),
        lambda row: (row.track_id, row.level_id),
        wanted,
        ["position"],
    )


def _sync_rows(queryset, identity, wanted, fields):
    """Make the rows of `queryset` match the unsaved rows `wanted`, matched by `identity`:
    update the matched rows whose `fields` differ, create the others and delete the rows
    not wanted. Unchanged rows are left alone, so their history stays quiet."""
    existing = {}
    for row in queryset:
        existing.setdefault(identity(row), []).append(row)
    to_create, to_update = [], []
    for new in wanted:
        matches = existing.get(identity(new))
        row = matches.pop(0) if matches else None
        if row is None:
            to_create.append(new)
        elif any(getattr(row, field) != getattr(new, field) for field in fields):
            for field in fields:
                setattr(row, field, getattr(new, field))
            to_update.append(row)
    unwanted = [row.pk for rows in existing.values() for row in rows]
    if unwanted:
        queryset.model.objects.filter(pk__in=unwanted).delete()
    history.bulk_update(queryset.model, to_update, fields)
    history.bulk_create(queryset.model, to_create)


def _sync_comparison(ladder, levels, items):
    existing = {aspect.name: aspect for aspect in ladder.aspects.all()}
    aspects = []

    def place(aspect, position):
        aspect.position = position

    for position, item in enumerate(items):
        aspect = existing.pop(item["aspect"], None) or Aspect(ladder=ladder, name=item["aspect"])
        aspects.append((_save_if_changed(aspect, place, position), item))
    if existing:
        Aspect.objects.filter(pk__in=[aspect.pk for aspect in existing.values()]).delete()
    wanted = [
        AspectValue(aspect=aspect, level=levels[key], value=value)
        for aspect, item in aspects
        for key, value in item["values"].items()
    ]
    for row in wanted:
        check_same_ladder(row, "aspect", "level")
    _sync_rows(
        AspectValue.objects.filter(aspect__ladder=ladder),
        lambda row: (row.aspect_id, row.level_id),
        wanted,
        ["value"],
    )


def _replace_guidance(ladder, promotion, faq):
    """Promotion criteria, blockers and FAQ, matched by name, text and question."""
    _sync_rows(
        ladder.promotion_criteria.all(),
        lambda row: row.name,
        [
            PromotionCriterion(
                ladder=ladder, name=item["name"], description=item["description"], position=position
            )
            for position, item in enumerate(promotion["criteria"])
        ],
        ["description", "position"],
    )
    _sync_rows(
        ladder.promotion_blockers.all(),
        lambda row: row.text,
        [
            PromotionBlocker(ladder=ladder, text=text, position=position)
            for position, text in enumerate(promotion["blockers"])
        ],
        ["position"],
    )
    _sync_rows(
        ladder.faq_entries.all(),
        lambda row: row.question,
        [
            FAQEntry(
                ladder=ladder, question=item["question"], answer=item["answer"], position=position
            )
            for position, item in enumerate(faq)
        ],
        ["answer", "position"],
    )


def check_new_ladder_slug(slug):
    """Refuse a slug that is not a valid ladder key or that another ladder already has."""
    if not ladderfile.KEY_PATTERN.match(slug or "") or len(slug) > ladderfile.MAX_KEY:
        raise ValidationError(
            {
                "slug": (
                    f"'{slug}' is not a valid slug: use 1 to {ladderfile.MAX_KEY} lowercase "
                    "letters, digits, '-' and '_', starting with a letter or a digit."
                )
            }
        )
    if Ladder.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A ladder '{slug}' already exists; pick another slug."})


@transaction.atomic
def duplicate_ladder(*, ladder, slug, name):
    """
    Copy `ladder` whole under a new slug and name: its categories, levels (retired ones
    too) with every expectation, tracks and their levels, the comparison grid, promotion
    criteria and blockers, and FAQ. The copy shares no rows with the original, so editing
    one never changes the other; records about people are not copied.

    The copy is a draft. A copy of a published ladder is a draft of it (`draft_of`), and so
    is a copy of such a draft: it can replace the published ladder (`replace_ladder`).

    One query to read and one to write each kind of row, however large the ladder. Runs
    one at a time with imports, which create ladders too.
    """
    locks.serialised(locks.LADDER_IMPORT)
    slug = (slug or "").strip()
    name = (name or "").strip()
    check_new_ladder_slug(slug)
    if not name:
        raise ValidationError({"name": "Give the copy a name."})
    if len(name) > ladderfile.MAX_NAME:
        raise ValidationError({"name": f"At most {ladderfile.MAX_NAME} characters."})
    with history.reason(importplan.COPIED_FROM.format(slug=ladder.slug)):
        return _copy_ladder(ladder, slug, name)


def _revises(ladder):
    """The published ladder a copy of `ladder` revises: the ladder itself, or the one it is
    a draft of; none for a copy of a retired ladder."""
    if ladder.is_published:
        return ladder
    return ladder.draft_of if ladder.is_draft else None


def _copy_ladder(ladder, slug, name):
    try:
        with transaction.atomic():
            copy = Ladder.objects.create(
                slug=slug,
                name=name,
                status=Ladder.Status.DRAFT,
                draft_of=_revises(ladder),
                description=ladder.description,
                ready_coverage=ladder.ready_coverage,
                ready_span_months=ladder.ready_span_months,
            )
    except IntegrityError:
        # Another request took the slug between the check and the insert.
        raise ValidationError(
            {"slug": f"A ladder '{slug}' already exists; pick another slug."}
        ) from None

    def clone(rows, **changes):
        """Unsaved copies of `rows` with `changes` (field -> function of the old row)."""
        copies = []
        for row in rows:
            new = type(row)(
                **{
                    field.attname: getattr(row, field.attname)
                    for field in row._meta.concrete_fields
                    if not field.primary_key
                }
            )
            for field, value in changes.items():
                setattr(new, field, value(row))
            copies.append(new)
        return copies

    def copied(model, rows, **changes):
        """Bulk-create copies of `rows`; return old pk -> new pk."""
        rows = list(rows)
        copies = history.bulk_create(model, clone(rows, **changes))
        return {old.pk: new.pk for old, new in zip(rows, copies, strict=True)}

    def to_copy(row):
        return copy.pk

    categories = copied(Category, Category.objects.filter(ladder=ladder), ladder_id=to_copy)
    levels = copied(Level, Level.objects.filter(ladder=ladder), ladder_id=to_copy)
    tracks = copied(Track, Track.objects.filter(ladder=ladder), ladder_id=to_copy)
    aspects = copied(Aspect, Aspect.objects.filter(ladder=ladder), ladder_id=to_copy)
    # The links between them, limited to the rows just copied: both ends are then parts
    # of the copy (one ladder), and a part someone adds meanwhile is left out whole.
    history.bulk_create(
        Expectation,
        clone(
            Expectation.objects.filter(level_id__in=list(levels), category_id__in=list(categories)),
            level_id=lambda row: levels[row.level_id],
            category_id=lambda row: categories[row.category_id],
        ),
    )
    history.bulk_create(
        TrackLevel,
        clone(
            TrackLevel.objects.filter(track_id__in=list(tracks), level_id__in=list(levels)),
            track_id=lambda row: tracks[row.track_id],
            level_id=lambda row: levels[row.level_id],
        ),
    )
    history.bulk_create(
        AspectValue,
        clone(
            AspectValue.objects.filter(aspect_id__in=list(aspects), level_id__in=list(levels)),
            aspect_id=lambda row: aspects[row.aspect_id],
            level_id=lambda row: levels[row.level_id],
        ),
    )
    for model in (PromotionCriterion, PromotionBlocker, FAQEntry):
        history.bulk_create(model, clone(model.objects.filter(ladder=ladder), ladder_id=to_copy))
    return copy


# Publishing, retiring, replacing ---------------------------------------------------------------


def _why(what, reason):
    reason = _one_line(reason)
    return f"{what}: {reason}" if reason else what


def _one_line(text):
    return " ".join((text or "").split())


# The reason recorded when a draft is retired because it replaced its ladder: the mark of a
# draft that is spent (see `has_replaced`).
REPLACED_ITS_LADDER = "Replaced its published ladder"


def has_replaced(ladder):
    """Whether `ladder` is a draft that replaced its published ladder (and was retired
    then): its content is live there, so it is kept as a record and never published."""
    return (
        ladder.is_retired
        and ladder.history.filter(
            status=Ladder.Status.RETIRED,
            history_change_reason__startswith=REPLACED_ITS_LADDER,
        ).exists()
    )


def spent_message(ladder):
    """Why a draft that replaced its ladder is not published, and what to do instead."""
    revised = ladder.draft_of.name if ladder.draft_of else "its ladder"
    return (
        f"{ladder.name} already replaced {revised}: its content is live there, and "
        f"publishing it would show everyone a second copy. To revise {revised} again, "
        "duplicate it and edit the new draft."
    )


@transaction.atomic
def publish_ladder(*, ladder, reason=""):
    """Publish a draft or a retired ladder: everyone sees it, and people can be placed on
    it. Recorded in its history with `reason`. Refused for a draft that already replaced
    its ladder (`has_replaced`)."""
    locks.serialised(locks.LADDER_IMPORT)
    ladder = (
        Ladder.objects.select_related("draft_of").select_for_update(of=("self",)).get(pk=ladder.pk)
    )
    if ladder.is_published:
        raise ValidationError(f"{ladder.name} is published already.")
    if has_replaced(ladder):
        raise ValidationError(spent_message(ladder), code="replaced")
    ladder.status = Ladder.Status.PUBLISHED
    with history.reason(_why("Published", reason)):
        ladder.save(update_fields=["status"])
    return ladder


def people_on(ladder):
    """How many people (still active) are on `ladder`."""
    return ladder.employees.filter(is_active=True).count()


@transaction.atomic
def retire_ladder(*, ladder, reason=""):
    """Retire a ladder: it leaves the ladder pages (HR still reads it) and keeps every
    record. Refused while people are on it, whose pages would point at a ladder they could
    no longer open: they move first (for a revision of the ladder, see `replace_ladder`).
    People who have left keep it in their history."""
    locks.serialised(locks.LADDER_IMPORT)
    ladder = Ladder.objects.select_for_update().get(pk=ladder.pk)
    if ladder.is_retired:
        raise ValidationError(f"{ladder.name} is retired already.")
    count = people_on(ladder)
    if count:
        raise ValidationError(
            f"{count} {'person is' if count == 1 else 'people are'} still on {ladder.name}, "
            "so it cannot be retired: it would disappear from their pages. Replace it by a "
            "revised draft, which moves them, or retire it once nobody is on it.",
            code="in_use",
        )
    ladder.status = Ladder.Status.RETIRED
    with history.reason(_why("Retired", reason)):
        ladder.save(update_fields=["status"])
    return ladder


class ReplacementRefused(Exception):
    """Replacing a ladder by a draft was refused and nothing was written: `plan` is the
    replacement as it stands now, `problems` says why (and `stale` when the ladder, the
    draft or someone's level changed since the preview)."""

    def __init__(self, plan, problems, *, stale=False):
        self.plan, self.problems, self.stale = plan, list(problems), stale
        super().__init__("; ".join(self.problems))


def replace_ladder(
    *,
    draft,
    mapping,
    by,
    fingerprint,
    on=None,
    why="",
    allow_step_down=False,
    undo_later_changes=False,
):
    """
    Replace the published ladder `draft` revises by the draft, as previewed by
    `importplan.plan_replacement(draft)` with `fingerprint`: the draft's content is imported
    onto the published ladder in place (matched by key, so everyone else stays where they
    are), each person the draft would leave without a place is moved as `mapping` says
    ({place key: place key on the draft}, see `importplan.place_key`) with
    `assessments.services.assign_level`, effective `on` (today), and the draft is retired.

    Moving anyone to a lower level needs `allow_step_down`; when the published ladder
    changed after the draft was made (`plan.outdated`), replacing brings back the draft's
    version of those changes, and needs `undo_later_changes`. `why` goes into the history
    of the ladder and into each moved person's level history, whom it emails (with a copy
    to their manager) once it is all written.

    All or nothing, under the ladder-import lock: a preview that no longer matches, a
    missing mapping or permission, or any move `assign_level` refuses (e.g. `by`'s own
    record) raises `ReplacementRefused` with every reason, and nothing is written. Returns
    the plan applied.
    """
    from django.utils import timezone

    from assessments import notifications
    from assessments import services as people

    on = on or timezone.localdate()
    why = _one_line(why)
    with transaction.atomic():
        locks.serialised(locks.LADDER_IMPORT)
        draft = Ladder.objects.select_related("draft_of").get(pk=draft.pk)
        plan = importplan.plan_replacement(draft)
        if plan.fingerprint != fingerprint:
            raise ReplacementRefused(
                plan,
                ["The ladder, the draft or someone's level changed since the preview."],
                stale=True,
            )
        if plan.problems:
            raise ReplacementRefused(plan, plan.problems)
        targets = dict(plan.targets)
        unmapped = [
            f"Choose where the people on {p.level_name} ({p.track_name}) go."
            for p in plan.moves
            if mapping.get(p.key) not in targets
        ]
        if unmapped:
            raise ReplacementRefused(plan, unmapped)
        unconfirmed = []
        if plan.outdated and not undo_later_changes:
            unconfirmed.append(
                f"{plan.ladder.name} changed after {draft.name} was made: confirm that "
                "replacing brings back the draft's version of those changes."
            )
        step_downs = [p for p in plan.moves if plan.is_step_down(p, mapping[p.key])]
        if step_downs and not allow_step_down:
            unconfirmed.extend(
                f"Moving the people on {p.level_name} ({p.track_name}) to "
                f"{targets[mapping[p.key]]} is a step down: confirm it."
                for p in step_downs
            )
        if unconfirmed:
            raise ReplacementRefused(plan, unconfirmed)
        ladder = plan.ladder
        try:
            with history.reason(_why(f"Replaced by draft {draft.name}", why)):
                import_ladder(spec=plan.spec, replace=True)
        except ladderfile.LadderFileError as error:
            raise ReplacementRefused(plan, error.problems) from None
        tracks = {track.key: track for track in ladder.tracks.all()}
        levels = {level.key: level for level in ladder.levels.all()}
        refusals, assignments = [], []
        for placement in plan.moves:
            track_key, _, level_key = mapping[placement.key].partition(importplan.PLACE_SEPARATOR)
            track, level = tracks[track_key], levels[level_key]
            rationale = replacement_rationale(ladder, placement, level, track, why)
            for person in placement.people:
                try:
                    assignments.append(
                        people.assign_level(
                            employee=person,
                            level=level,
                            track=track,
                            effective_on=on,
                            by=by,
                            rationale=rationale,
                        )
                    )
                except ValidationError as error:
                    refusals.extend(f"{person.full_name}: {m}" for m in error.messages)
                except PermissionDenied as error:
                    refusals.append(f"{person.full_name}: {error}")
        if refusals:  # leaving the transaction by raising undoes the import and the moves
            raise ReplacementRefused(plan, refusals)
        draft.status = Ladder.Status.RETIRED
        with history.reason(_why(f"{REPLACED_ITS_LADDER} {ladder.name}", why)):
            draft.save(update_fields=["status"])
        notifications.levels_assigned(assignments)  # one connection, once committed
    return plan


def replacement_rationale(ladder, placement, level, track, why=""):
    """What the level history of someone moved by a replacement says: HR's `why`, then
    what changed on the ladder they know (never the draft's name, which they never saw)."""
    what = (
        f"The {ladder.name} ladder was revised, and its new version {placement.reason}: "
        f"moved to {level.name} on the {track.name} track."
    )
    why = _one_line(why)
    if not why:
        return what
    return f"{why}{'' if why.endswith(('.', '!', '?')) else '.'} {what}"

"""
What importing a ladder file would do, worked out before anything is written.

`plan_import(spec)` compares a checked spec (see `ladderfile.read`) with the ladder of the
same slug, if there is one, and returns an `ImportPlan`: the ladder's own fields that
change, and for categories, levels (with counts of expectations added, reworded and
removed), tracks, comparison aspects, promotion criteria, blockers and FAQ entries what is
added, changed and removed. It follows the rules of `services.import_ladder`: things are
matched by key (aspects, criteria and questions by name), a level missing from the file is
deleted or, when records about people point at it, retired; expectations are matched by
text, then reworded in order. It only reads.

`plan_replacement(draft)` is the same for replacing a published ladder by a revised draft
of it (`Ladder.draft_of`): the draft's content imported onto the published ladder, which
keeps its slug and name, and the people who must move because the draft drops their level
or track, retires it, or takes their level off their track; they are grouped by where they
sit, each group to be mapped by HR to a place on the draft (a place below their level is
a step down, by `selectors.is_step_down`). People whose level or track the draft only
renames stay where they are and are listed for information. The plan also lists what
changed on the published ladder after the draft was made (see `content_taken_at`):
replacing brings back the draft's version of those.

A text that changes (a summary, a next step, a description) is shown before and after,
cut to the part that changes.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, replace

from django.template.defaultfilters import truncatechars

from . import ladderfile, rules, selectors
from .changes import changes_since, excerpts
from .models import Category, Ladder, Level, Track

ADD, CHANGE, REMOVE, RETIRE = "add", "change", "remove", "retire"
# Joins a track key and a level key in the values of the replacement's mapping (keys are
# slugs, which never contain it).
PLACE_SEPARATOR = ":"
# The reason Duplicate records on the copy it makes (see `services.duplicate_ladder`): the
# replacement follows it back to when a draft's content was taken from its ladder.
COPIED_FROM = "Copied from {slug}"
# How many of the changes made to a published ladder since its draft was made the
# replacement preview lists (it says when there are more).
LATER_CHANGES_SHOWN = 25
# A text added or removed whole is shown up to this length.
EXCERPT_LENGTH = 240

# Field name -> label, and whether the values are short enough to show side by side.
LADDER_FIELDS = {
    "name": ("name", True),
    "description": ("description", False),
    "readiness": ("readiness rule", True),
    "proficiency": ("proficiency scale", True),
}
CATEGORY_FIELDS = {
    "name": ("name", True),
    "group": ("group", True),
    "description": ("description", False),
    "active": ("active", True),
}
LEVEL_FIELDS = {
    "name": ("name", True),
    "short_name": ("short name", True),
    "code": ("code", True),
    "grade": ("grade", True),
    "summary": ("summary", False),
    "next_step": ("next step", False),
    "active": ("active", True),
}
TRACK_FIELDS = {
    "name": ("name", True),
    "description": ("description", False),
    "best_for": ("best for you if", False),
    "challenges": ("challenges", False),
    "active": ("active", True),
    "levels": ("levels", True),
}
CRITERION_FIELDS = {"description": ("description", False)}
FAQ_FIELDS = {"answer": ("answer", False)}


@dataclass(frozen=True)
class FieldChange:
    """One field that changes, with its values before and after: whole for short values,
    for `long` ones (texts) the part that changes with some context (see
    `changes.excerpts`)."""

    label: str
    old: str = ""
    new: str = ""
    long: bool = False

    @property
    def shows_values(self):
        return bool(self.old or self.new)


@dataclass(frozen=True)
class ExpectationCounts:
    """How a level's expectations change: new ones, rewordings of existing ones (which keep
    what was recorded against them), and ones dropped (deleted, or retired when evidence
    or reviews point at them)."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    reordered: bool = False
    # What changes, one FieldChange per expectation: label "added", "reworded" or
    # "removed", with the old and new wording.
    details: tuple = field(default=(), compare=False)

    def __bool__(self):
        return bool(self.added or self.changed or self.removed or self.reordered)

    def __str__(self):
        parts = [
            f"{count} {what}"
            for count, what in ((self.added, "added"), (self.changed, "reworded"))
            if count
        ]
        if self.removed:
            them = "it" if self.removed == 1 else "them"
            parts.append(
                f"{self.removed} removed (or retired if evidence or reviews point at {them})"
            )
        if self.reordered:
            parts.append("new order")
        return ", ".join(parts)

    def __add__(self, other):
        return ExpectationCounts(
            self.added + other.added,
            self.changed + other.changed,
            self.removed + other.removed,
            self.reordered or other.reordered,
            self.details + other.details,
        )


@dataclass
class Change:
    """One thing the import adds, changes, removes or retires."""

    action: str
    key: str
    name: str
    fields: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    expectations: ExpectationCounts | None = None

    @property
    def action_label(self):
        return {
            ADD: "added",
            CHANGE: "changed",
            REMOVE: "removed",
            RETIRE: "retired (in use)",
        }[self.action]


@dataclass
class Section:
    """The changes to one kind of thing, e.g. levels."""

    title: str
    changes: list
    reordered: bool = False
    removal_note: str = ""

    @property
    def count(self):
        return Counter(change.action for change in self.changes)

    def __bool__(self):
        return bool(self.changes or self.reordered)


@dataclass
class ImportPlan:
    """What `services.import_ladder(spec=spec, replace=not plan.creates)` would do."""

    spec: dict
    ladder: Ladder | None
    ladder_fields: list
    sections: list
    problems: list
    fingerprint: str

    @property
    def creates(self):
        return self.ladder is None

    @property
    def slug(self):
        return self.spec["ladder"]["slug"]

    @property
    def has_changes(self):
        return self.creates or bool(self.ladder_fields) or any(self.sections)

    def section(self, title):
        return next(section for section in self.sections if section.title == title)

    def summary(self):
        """One line for a message: e.g. 'levels: 1 added, 2 changed; tracks: 1 changed'."""
        parts = []
        for section in self.sections:
            counts = section.count
            words = [
                f"{counts[action]} {label}"
                for action, label in (
                    (ADD, "added"),
                    (CHANGE, "changed"),
                    (REMOVE, "removed"),
                    (RETIRE, "retired"),
                )
                if counts[action]
            ]
            if section.reordered:
                words.append("reordered")
            if words:
                parts.append(f"{section.title.lower()}: {', '.join(words)}")
        return "; ".join(parts)


def fingerprint(ladder):
    """A digest of the ladder as it stands ('' for none), to notice edits made between a
    preview and its confirmation."""
    return "" if ladder is None else _digest(selectors.ladder_spec(ladder))


def _digest(spec):
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_import(spec, *, source="the file"):
    """What importing `spec` would change; writes nothing. `source` names where the spec
    comes from in the plan's notes ("the file", or "the draft" when a draft replaces)."""
    ladder = Ladder.objects.filter(slug=spec["ladder"]["slug"]).first()
    if ladder is None:
        return _plan_new(spec)
    current = selectors.ladder_spec(ladder)
    ladder_fields = _field_changes(current["ladder"], spec["ladder"], LADDER_FIELDS)
    problems = []

    categories = _diff(
        "Categories", current["categories"], spec["categories"], _key, CATEGORY_FIELDS
    )
    removed_categories = [c.key for c in categories.changes if c.action == REMOVE]
    for category in Category.objects.filter(ladder=ladder, key__in=removed_categories):
        if _in_use(category):
            problems.append(rules.category_in_use(category.key))
    categories.removal_note = "A removed category takes its expectations with it."

    levels = _diff("Levels", current["levels"], spec["levels"], _key, LEVEL_FIELDS)
    old_levels = {level["key"]: level for level in current["levels"]}
    _retire_in_use(
        levels,
        Level.objects.filter(ladder=ladder),
        old_levels,
        f"Not in {source}, but people's records point at it: it is kept, retired, "
        "and taken off every track.",
    )
    for change in levels.changes:
        if change.action == REMOVE:
            change.notes.append("Deleted with its expectations.")
    new_levels = {level["key"]: level for level in spec["levels"]}
    changes = {change.key: change for change in levels.changes}
    for key, level in new_levels.items():
        old = old_levels.get(key)
        counts = _expectation_counts(old["expectations"] if old else {}, level["expectations"])
        if not counts:
            continue
        if old is None:
            counts = replace(counts, details=())  # a new level: its count says enough
        change = changes.get(key)
        if change is None:
            change = Change(CHANGE, key, level["name"])
            changes[key] = change
            levels.changes.append(change)
        change.expectations = counts
    levels.changes.sort(key=_seniority(current["levels"], spec["levels"]))
    levels.removal_note = (
        f"A level missing from {source} is deleted, or retired if people's records point at it."
    )

    tracks = _diff("Tracks", current["tracks"], spec["tracks"], _key, TRACK_FIELDS)
    _retire_in_use(
        tracks,
        Track.objects.filter(ladder=ladder),
        {track["key"]: track for track in current["tracks"]},
        f"Not in {source}, but people are or were on it: it is kept, retired.",
    )
    tracks.removal_note = (
        f"A track missing from {source} is deleted, or retired if people are or were on it."
    )
    for change in tracks.changes:
        if change.action == CHANGE and any(f.label == "levels" for f in change.fields):
            change.notes.append(
                _track_levels_note(
                    _by_key(current["tracks"])[change.key]["levels"],
                    _by_key(spec["tracks"])[change.key]["levels"],
                    {**old_levels, **new_levels},
                )
            )
    return ImportPlan(
        spec=spec,
        ladder=ladder,
        ladder_fields=ladder_fields,
        sections=[
            categories,
            levels,
            tracks,
            *_guidance_sections(current, spec),
        ],
        problems=problems,
        fingerprint=_digest(current),
    )


def _plan_new(spec):
    def added(items, key, name, notes=lambda item: []):
        return [Change(ADD, key(item), name(item), notes=notes(item)) for item in items]

    def expectation_note(level):
        count = sum(len(items) for items in level["expectations"].values())
        notes = [f"{count} expectation{'' if count == 1 else 's'}"]
        if not level["active"]:
            notes.append("retired (active: false)")
        return notes

    levels = [
        Change(ADD, level["key"], level["name"], notes=expectation_note(level))
        for level in spec["levels"]
    ]
    return ImportPlan(
        spec=spec,
        ladder=None,
        ladder_fields=[],
        sections=[
            Section(
                "Categories", added(spec["categories"], lambda c: c["key"], lambda c: c["name"])
            ),
            Section("Levels", levels),
            Section(
                "Tracks",
                added(
                    spec["tracks"],
                    lambda t: t["key"],
                    lambda t: t["name"],
                    lambda t: [f"{len(t['levels'])} levels"],
                ),
            ),
            *_guidance_sections(
                {"comparison": [], "promotion": {"criteria": [], "blockers": []}, "faq": []},
                spec,
            ),
        ],
        problems=[],
        fingerprint="",
    )


def _guidance_sections(current, spec):
    comparison = _diff(
        "Comparison aspects",
        current["comparison"],
        spec["comparison"],
        lambda a: a["aspect"],
        {},
        name=lambda a: a["aspect"],
    )
    old_aspects = _by_key(current["comparison"], "aspect")
    for change in comparison.changes:
        if change.action == ADD:
            values = _by_key(spec["comparison"], "aspect")[change.key]["values"]
            change.notes.append(f"values for {len(values)} levels")
    new_aspects = _by_key(spec["comparison"], "aspect")
    for name, aspect in new_aspects.items():
        if name not in old_aspects:
            continue
        old, new = old_aspects[name]["values"], aspect["values"]
        note = _value_note(old, new)
        if note:
            comparison.changes.append(Change(CHANGE, name, name, notes=[note]))
    comparison.changes.sort(key=_order(current["comparison"], spec["comparison"], "aspect"))

    criteria = _diff(
        "Promotion criteria",
        current["promotion"]["criteria"],
        spec["promotion"]["criteria"],
        lambda c: c["name"],
        CRITERION_FIELDS,
        name=lambda c: c["name"],
    )
    blockers = _diff(
        "Promotion blockers",
        [{"text": text} for text in current["promotion"]["blockers"]],
        [{"text": text} for text in spec["promotion"]["blockers"]],
        lambda b: b["text"],
        {},
        name=lambda b: b["text"],
    )
    faq = _diff(
        "FAQ", current["faq"], spec["faq"], lambda f: f["question"], FAQ_FIELDS, name=_question
    )
    return [comparison, criteria, blockers, faq]


def _key(item):
    return item["key"]


def _question(item):
    return item["question"]


def _diff(title, old_items, new_items, key, fields, *, name=lambda item: item["name"]):
    """Match two lists of dicts by `key` (repeated keys pair up in order) and list what is
    added, changed (in `fields`) and removed, in the new order with removals last."""
    old_by_key = {}
    for item in old_items:
        old_by_key.setdefault(key(item), []).append(item)
    changes, kept_new = [], []
    for item in new_items:
        matches = old_by_key.get(key(item))
        if not matches:
            changes.append(Change(ADD, key(item), name(item)))
            continue
        old = matches.pop(0)
        kept_new.append(key(item))
        differences = _field_changes(old, item, fields)
        if differences:
            changes.append(Change(CHANGE, key(item), name(item), fields=differences))
    removed = [item for items in old_by_key.values() for item in items]
    changes.extend(Change(REMOVE, key(item), name(item)) for item in removed)
    removed_ids = {id(item) for item in removed}
    kept_old = [key(item) for item in old_items if id(item) not in removed_ids]
    return Section(title, changes, reordered=kept_old != kept_new)


def _field_changes(old, new, fields):
    changes = []
    for name, (label, short) in fields.items():
        if old[name] != new[name]:
            if short:
                changes.append(FieldChange(label, _show(old[name]), _show(new[name])))
            else:
                changes.append(_text_change(label, old[name], new[name]))
    return changes


def _text_change(label, old, new):
    """A long text that changes, before and after, cut to the part that changes."""
    old, new = _text(old), _text(new)
    if old and new:
        old, new = excerpts(old, new)
    else:  # all of it comes or goes: its beginning says what it is
        old, new = (_show(truncatechars(text, EXCERPT_LENGTH)) for text in (old, new))
    return FieldChange(label, old, new, long=True)


def _text(value):
    """A text field of a spec as one string (a list, such as a track's challenges, one
    item a line)."""
    if isinstance(value, list):
        return "\n".join(value)
    return value or ""


def _show(value):
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dict) and set(value) == {"coverage", "span_months"}:
        return f"{value['coverage']}% shown over {value['span_months']} months"
    return str(value)


def _expectation_counts(old, new):
    """How a level's expectations change ({category key: items} before and after), paired
    as `services._sync_expectations` pairs them (`rules.match`): kept, reworded (or with
    new details, or moved to another category), added or dropped; a category whose
    expectations only change places is reordered."""
    old_items = [(category, item) for category, items in old.items() for item in items]
    new_items = [(category, item) for category, items in new.items() for item in items]
    pairs = rules.match(
        [rules.Listed(category, item["key"], item["text"]) for category, item in old_items],
        [rules.Listed(category, item["key"], item["text"]) for category, item in new_items],
    )
    changed, added, touched = [], [], set()
    for j, (category, item) in enumerate(new_items):
        if j not in pairs:
            added.append(FieldChange("added", "", item["text"]))
            touched.add(category)
            continue
        before_category, before = old_items[pairs[j]]
        if before["text"] != item["text"]:
            changed.append(FieldChange("reworded", before["text"], item["text"]))
        elif before != item or before_category != category:
            changed.append(FieldChange("details changed", before["text"], item["text"]))
        else:
            continue
        touched.update((category, before_category))
    taken = set(pairs.values())
    removed = []
    for i, (category, item) in enumerate(old_items):
        if i not in taken:
            removed.append(FieldChange("removed", item["text"], ""))
            touched.add(category)
    reordered = any(
        category not in touched and _texts(old.get(category)) != _texts(new.get(category))
        for category in {*old, *new}
    )
    return ExpectationCounts(
        added=len(added),
        changed=len(changed),
        removed=len(removed),
        reordered=reordered,
        details=(*changed, *added, *removed),
    )


def _texts(items):
    return [item["text"] for item in items or ()]


def _retire_in_use(section, rows, old_items, note):
    """Mark the removals of `section` whose rows are in use as retirements (a retired row
    in use, left out of the file, stays as it is: not a change)."""
    removed = {change.key for change in section.changes if change.action == REMOVE}
    in_use = {row.key for row in rows.filter(key__in=removed) if _in_use(row)}
    section.changes = [
        change
        for change in section.changes
        if not (
            change.action == REMOVE and change.key in in_use and not old_items[change.key]["active"]
        )
    ]
    for change in section.changes:
        if change.action == REMOVE and change.key in in_use:
            change.action = RETIRE
            change.notes.append(note)


def _in_use(row):
    """Whether deleting `row` would be refused because records point at it (read only)."""
    return bool(rules.in_use(type(row), [row.pk]))


def _by_key(items, key="key"):
    return {item[key]: item for item in items}


def _order(old_items, new_items, key):
    """Sort key: the new order, then removed items in their old order."""
    positions = {item[key]: index for index, item in enumerate(new_items)}
    for index, item in enumerate(old_items):
        positions.setdefault(item[key], len(new_items) + index)
    return lambda change: positions.get(change.key, len(positions))


def _seniority(old_levels, new_levels):
    return _order(old_levels, new_levels, "key")


def _track_levels_note(old_keys, new_keys, levels):
    def names(keys):
        return ", ".join(levels[key]["short_name"] for key in keys if key in levels)

    added = [key for key in new_keys if key not in old_keys]
    removed = [key for key in old_keys if key not in new_keys]
    parts = []
    if added:
        parts.append(f"adds {names(added)}")
    if removed:
        parts.append(f"takes off {names(removed)}")
    if not parts:
        parts.append("same levels in a new order")
    return "; ".join(parts)


def _value_note(old, new):
    added = sum(1 for key in new if key not in old)
    removed = sum(1 for key in old if key not in new)
    changed = sum(1 for key in new if key in old and old[key] != new[key])
    parts = [
        f"{count} value{'' if count == 1 else 's'} {what}"
        for count, what in ((added, "added"), (changed, "changed"), (removed, "removed"))
        if count
    ]
    return ", ".join(parts)


# Replacing a published ladder by a revised draft ---------------------------------------------


@dataclass
class Placement:
    """The people on one track and level of the published ladder (active people only: those
    who have left keep their level in their history, retired if the draft drops it)."""

    track_key: str
    track_name: str
    level_key: str
    level_name: str
    people: list
    # Why they must move, after "the draft" ('' when they stay), and what the draft
    # renames where they stay.
    reason: str = ""
    renamed: list = field(default_factory=list)
    level: Level | None = None  # their level as it is now, to tell a step down

    @property
    def key(self):
        return place_key(self.track_key, self.level_key)

    @property
    def field_name(self):
        return f"map{PLACE_SEPARATOR}{self.key}"


@dataclass
class ReplacementPlan:
    """What replacing `ladder` (the published one) by `draft` would do."""

    draft: Ladder
    ladder: Ladder | None
    imported: ImportPlan | None
    moves: list  # Placements whose people HR maps to a place on the draft
    renames: list  # Placements whose people stay, on a renamed level or track
    targets: list  # (value, label) of every place on the draft someone can be moved to
    problems: list
    fingerprint: str
    # The draft's level at each place of `targets` (by value), to tell a step down.
    target_levels: dict = field(default_factory=dict)
    # When the draft's content was taken from the ladder (None if unknown), and the
    # changes made to the ladder since (a `changes.ChangePage`): replacing undoes them
    # wherever the draft differs.
    taken_at: object = None
    later: object = None

    @property
    def spec(self):
        return self.imported.spec if self.imported else None

    @property
    def people_to_move(self):
        return sum(len(placement.people) for placement in self.moves)

    @property
    def outdated(self):
        """Whether the ladder changed after the draft was made."""
        return bool(self.later and self.later.rows)

    def is_step_down(self, placement, target):
        """Whether moving the people of `placement` to `target` (a value of `targets`)
        puts them on a lower level (`selectors.is_step_down`)."""
        level = self.target_levels.get(target)
        return level is not None and selectors.is_step_down(placement.level, level)


def place_key(track_key, level_key):
    return f"{track_key}{PLACE_SEPARATOR}{level_key}"


def plan_replacement(draft):
    """What replacing the published ladder `draft` revises would change; writes nothing."""
    ladder = draft.draft_of
    problems = []
    if draft.status != Ladder.Status.DRAFT:
        problems.append(f"{draft.name} is {draft.get_status_display().lower()}, not a draft.")
    if ladder is None:
        problems.append(
            f"{draft.name} is not a revision of a published ladder (only a copy made with "
            "Duplicate is): publish it as a ladder of its own instead."
        )
        return ReplacementPlan(draft, None, None, [], [], [], problems, "")
    if ladder.status != Ladder.Status.PUBLISHED:
        problems.append(
            f"{ladder.name} is {ladder.get_status_display().lower()}: only a published ladder "
            "can be replaced."
        )
    draft_spec = selectors.ladder_spec(draft)
    # The draft's content for the published ladder, which keeps its slug and name; checked
    # as a ladder file would be, since the import takes a checked spec.
    try:
        spec = ladderfile.check(
            {
                **draft_spec,
                "ladder": {**draft_spec["ladder"], "slug": ladder.slug, "name": ladder.name},
            }
        )
    except ladderfile.LadderFileError as error:
        problems.extend(f"The draft cannot replace {ladder.name}: {p}" for p in error.problems)
        return ReplacementPlan(draft, ladder, None, [], [], [], problems, "")
    imported = plan_import(spec, source="the draft")
    problems.extend(imported.problems)

    levels = {level["key"]: level for level in spec["levels"]}
    tracks = {track["key"]: track for track in spec["tracks"]}
    targets = [
        (place_key(track["key"], key), f"{track['name']}: {levels[key]['name']}")
        for track in spec["tracks"]
        if track["active"]
        for key in track["levels"]
        if levels[key]["active"]
    ]
    draft_levels = {level.key: level for level in draft.levels.all()}
    target_levels = {
        value: draft_levels[value.partition(PLACE_SEPARATOR)[2]] for value, _ in targets
    }
    people = ladder.employees.filter(is_active=True).select_related("track", "level")
    placements = {}
    for person in people.order_by("level__position", "track__position", "full_name", "id"):
        track, level = person.track, person.level
        placement = placements.get((track.pk, level.pk))
        if placement is None:
            placement = placements[(track.pk, level.pk)] = Placement(
                track.key, track.name, level.key, level.name, [], level=level
            )
        placement.people.append(person)
    moves, renames = [], []
    for placement in placements.values():
        level, track = levels.get(placement.level_key), tracks.get(placement.track_key)
        placement.reason = _why_move(placement, level, track)
        if placement.reason:
            moves.append(placement)
            continue
        if level["name"] != placement.level_name:
            placement.renamed.append(FieldChange("level", placement.level_name, level["name"]))
        if track["name"] != placement.track_name:
            placement.renamed.append(FieldChange("track", placement.track_name, track["name"]))
        if placement.renamed:
            renames.append(placement)
    if moves and not targets:
        problems.append(
            "The draft has no active level on an active track, so nobody can be moved to it."
        )
    where = sorted(
        (person.pk, placement.key)
        for placement in placements.values()
        for person in placement.people
    )
    taken_at = content_taken_at(draft)
    later = None if taken_at is None else changes_since(ladder, taken_at, LATER_CHANGES_SHOWN)
    return ReplacementPlan(
        draft=draft,
        ladder=ladder,
        imported=imported,
        moves=moves,
        renames=renames,
        targets=targets,
        problems=problems,
        fingerprint=_digest(
            {
                "ladder": imported.fingerprint,
                "draft": _digest(draft_spec),
                "status": [draft.status, ladder.status],
                "people": where,
                "later": [
                    [row.model_name, row.record.history_id] for row in (later.rows if later else [])
                ],
            }
        ),
        target_levels=target_levels,
        taken_at=taken_at,
        later=later,
    )


def content_taken_at(draft):
    """When the content of `draft` was taken from the published ladder it revises: when
    Duplicate made it, or, for a copy of another draft of that ladder, when that draft was
    made (and so on back); None when its history does not say."""
    ladder = draft.draft_of
    current, seen = draft, set()
    taken_at = None
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        made = current.history.filter(history_type="+").order_by("history_id").first()
        if made is None or (taken_at is not None and made.history_date >= taken_at):
            break
        taken_at = made.history_date
        source = _copied_from(made.history_change_reason or "")
        if ladder is None or source in (None, ladder.slug):
            break
        current = Ladder.objects.filter(slug=source, draft_of=ladder).first()
    return taken_at


def _copied_from(reason):
    """The slug a `COPIED_FROM` reason names; None for any other reason."""
    prefix = COPIED_FROM.format(slug="")
    return reason.removeprefix(prefix) if reason.startswith(prefix) else None


def _why_move(placement, level, track):
    """Why the people of `placement` cannot stay where they are, as what the draft does
    (e.g. 'drops the level APM'); '' when they can stay."""
    if level is None:
        return f"drops the level {placement.level_name}"
    if not level["active"]:
        return f"retires the level {placement.level_name}"
    if track is None:
        return f"drops the track {placement.track_name}"
    if not track["active"]:
        return f"retires the track {placement.track_name}"
    if placement.level_key not in track["levels"]:
        return f"takes {placement.level_name} off the {placement.track_name} track"
    return ""

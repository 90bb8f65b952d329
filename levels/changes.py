"""
Change feeds read from the ladder's change histories (see `levels.history`): who changed
what and when, for one ladder object and the parts it holds (a ladder's categories, levels,
expectations, tracks, comparison grid, promotion guidance and FAQ; a level's expectations,
comparison values and places on tracks), newest first, with each change's fields as they
were before and after.

A page costs a fixed number of queries: one per kind of row that can appear, plus one per
kind of row changed on the page to find the versions before.
"""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery
from django.template.defaultfilters import truncatechars

from .history import made_by
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
)

ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
# Fields that only mirror others or mean nothing to a reader.
HIDDEN_FIELDS = {"id"}
VALUE_LENGTH = 160
# Pages further back than this show the last one: a page reads up to page x 25 rows of
# each kind, so the depth is capped.
MAX_PAGE = 200
NAME_LENGTH = 90
# Models that have a page of their own in the admin, where a version can be opened.
WITH_ADMIN_PAGE = {Ladder, Level, Track, Aspect, Expectation}
# The rows a version's label names (see `_name`), loaded with it.
NAMED_RELATIONS = {
    Expectation: ["level"],
    TrackLevel: ["track", "level"],
    AspectValue: ["aspect", "level"],
}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class ChangeRow:
    """One version of one row: what kind of row, which one, what happened, who and when."""

    record: object
    kind: str
    name: str
    action: str
    fields: list = field(default_factory=list)

    @property
    def when(self):
        return self.record.history_date

    @property
    def who(self):
        return made_by(self.record.history_user)

    @property
    def reason(self):
        return self.record.history_change_reason or ""

    @property
    def object_id(self):
        return self.record.id

    @property
    def model_name(self):
        return self.record.instance_type._meta.model_name

    @property
    def has_page(self):
        return self.record.instance_type in WITH_ADMIN_PAGE


@dataclass
class ChangePage:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1


def _ids(model, **filters):
    """The ids any version of `model` matching `filters` ever had: parts of a deleted
    row still belong to the feed."""
    return model.history.filter(**filters).values("id")


def _sources(obj):
    """(model, filter on its historical rows) for `obj` and its parts."""
    if isinstance(obj, Ladder):
        levels = _ids(Level, ladder_id=obj.pk)
        return [
            (Ladder, Q(id=obj.pk)),
            (Category, Q(ladder_id=obj.pk)),
            (Level, Q(ladder_id=obj.pk)),
            (Expectation, Q(level_id__in=levels)),
            (Track, Q(ladder_id=obj.pk)),
            (TrackLevel, Q(track_id__in=_ids(Track, ladder_id=obj.pk))),
            (Aspect, Q(ladder_id=obj.pk)),
            (AspectValue, Q(aspect_id__in=_ids(Aspect, ladder_id=obj.pk))),
            (PromotionCriterion, Q(ladder_id=obj.pk)),
            (PromotionBlocker, Q(ladder_id=obj.pk)),
            (FAQEntry, Q(ladder_id=obj.pk)),
        ]
    if isinstance(obj, Level):
        return [
            (Level, Q(id=obj.pk)),
            (Expectation, Q(level_id=obj.pk)),
            (AspectValue, Q(level_id=obj.pk)),
            (TrackLevel, Q(level_id=obj.pk)),
        ]
    if isinstance(obj, Track):
        return [
            (Track, Q(id=obj.pk)),
            (TrackLevel, Q(track_id=obj.pk)),
        ]
    if isinstance(obj, Aspect):
        return [
            (Aspect, Q(id=obj.pk)),
            (AspectValue, Q(aspect_id=obj.pk)),
        ]
    return [(type(obj), Q(id=obj.pk))]


def kinds(obj):
    """The kinds of row the feed of `obj` can show, as (model name, plural label)."""
    return [
        (model._meta.model_name, str(model._meta.verbose_name_plural)) for model, _ in _sources(obj)
    ]


def change_page(obj, page=1, per_page=25, kind=None):
    """Page `page` (from 1) of the changes to `obj` and its parts, newest first; with
    `kind` (a model name from `kinds`), of that kind of row only."""
    page = min(max(1, page), MAX_PAGE)
    sources = _sources(obj)
    if kind:
        sources = [source for source in sources if source[0]._meta.model_name == kind]
    records = _records(sources, page * per_page + 1)
    start = (page - 1) * per_page
    shown = records[start : start + per_page]
    previous = _previous_versions(shown)
    rows = [_row(record, previous.get(_identity(record))) for record in shown]
    return ChangePage(rows=rows, number=page, has_next=len(records) > start + per_page)


def changes_since(obj, moment, limit=25):
    """The changes to `obj` and its parts made after `moment`, newest first: the first
    `limit` of them, as a page that says whether there are more. What a copy of `obj`
    taken at `moment` does not have."""
    records = _records(_sources(obj), limit + 1, Q(history_date__gt=moment))
    shown = records[:limit]
    previous = _previous_versions(shown)
    rows = [_row(record, previous.get(_identity(record))) for record in shown]
    return ChangePage(rows=rows, number=1, has_next=len(records) > limit)


def _records(sources, wanted, also=None):
    """The newest `wanted` versions of the rows of `sources` (matching `also` too), newest
    first, each annotated with the version just before it (one query per kind of row)."""
    records = []
    for model, where in sources:
        queryset = (
            model.history.filter(where if also is None else where & also)
            .select_related("history_user", *NAMED_RELATIONS.get(model, []))
            .annotate(
                # The version of the same row just before: what this one changed.
                previous_id=Subquery(
                    model.history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
                    .order_by("-history_id")
                    .values("history_id")[:1]
                )
            )
        )
        records.extend(queryset.order_by("-history_date", "-history_id")[:wanted])
    records.sort(key=lambda record: (record.history_date, record.history_id), reverse=True)
    return records


def _identity(record):
    return record.instance_type, record.history_id


def _previous_versions(records):
    """For each changed record, the version of the same row just before it (one query
    per kind of row changed)."""
    wanted = {}
    for record in records:
        if record.history_type == "~" and record.previous_id is not None:
            wanted.setdefault(record.instance_type, set()).add(record.previous_id)
    by_history_id = {}
    for model, ids in wanted.items():
        for version in model.history.filter(history_id__in=ids):
            by_history_id[model, version.history_id] = version
    return {
        _identity(record): by_history_id.get((record.instance_type, record.previous_id))
        for record in records
        if record.history_type == "~"
    }


def _row(record, before):
    model = record.instance_type
    row = ChangeRow(
        record=record,
        kind=model._meta.verbose_name,
        name=truncatechars(_name(record), NAME_LENGTH),
        action=ACTIONS.get(record.history_type, record.history_type),
    )
    if before is not None:
        row.fields = field_changes(model, before, record)
    return row


def field_changes(model, before, after, *, skip=()):
    """The fields of `model` whose values differ between `before` and `after` (rows or
    versions), as FieldChange rows; none of the fields named in `skip`."""
    changes = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in HIDDEN_FIELDS or model_field.name in skip:
            continue
        old, new = getattr(before, model_field.attname), getattr(after, model_field.attname)
        if old == new:
            continue
        label = str(model_field.verbose_name)
        if model_field.is_relation:
            # Moved to another row (e.g. an expectation to another category).
            changes.append(FieldChange(label, "another", "another"))
        elif isinstance(old, str) and isinstance(new, str) and old and new:
            changes.append(FieldChange(label, *excerpts(old, new)))
        else:
            changes.append(FieldChange(label, _show(model_field, old), _show(model_field, new)))
    return changes


def excerpts(old, new, context=40):
    """Long texts shown around what changed: the differing middle with `context`
    characters either side, '…' where text is left out."""
    if len(old) <= VALUE_LENGTH and len(new) <= VALUE_LENGTH:
        return old, new
    start = _shared(old, new)
    end = _shared(old[start:][::-1], new[start:][::-1])

    def excerpt(text):
        begin = max(0, start - context)
        stop = min(len(text), len(text) - end + context)
        middle = text[begin:stop]
        if len(middle) > 2 * VALUE_LENGTH:
            middle = middle[:VALUE_LENGTH] + " … " + middle[-VALUE_LENGTH // 2 :]
        return ("…" if begin else "") + middle + ("…" if stop < len(text) else "")

    return excerpt(old), excerpt(new)


def _shared(a, b):
    """How many leading characters `a` and `b` have in common."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _show(model_field, value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(empty)"
    return truncatechars(str(value), VALUE_LENGTH)


def _name(record):
    """A label for a version, from its own fields and the rows loaded with it."""
    model = record.instance_type
    if model is Expectation:
        return f"{_related_name(record, 'level')}: {record.text}"
    if model is TrackLevel:
        return f"{_related_name(record, 'level')} on {_related_name(record, 'track')} track"
    if model is AspectValue:
        return f"{_related_name(record, 'aspect')} at {_related_name(record, 'level')}"
    if model is PromotionBlocker:
        return record.text
    if model is FAQEntry:
        return record.question
    return record.name


def _related_name(record, name):
    """The current name of a row a version points at; '(deleted)' if it is gone."""
    related = getattr(record, name, None)
    return related.name if related is not None else "(deleted)"

"""
The career ladder: ladders, their expectation categories, levels, expectations, tracks,
the comparison grid, promotion guidance and FAQ.

Everything hangs off a `Ladder` and is deleted with it (`CASCADE`); records about people
(in `assessments`) point at levels and expectations with `PROTECT`, so a level in use is
retired (`is_active=False`) rather than deleted. Every model keeps its change history
(`history`, see `levels.history`).

What links two parts of a ladder links parts of one ladder: an expectation's level and
category, a track's levels (`TrackLevel`) and a comparison value's level and aspect. Their
`clean()` refuses a link across ladders, and a category, level, track or aspect with such
links cannot move to another ladder; forms get this through `full_clean()`, and the
services call the same checks before they write.

A ladder is a *draft*, *published* or *retired* (`Ladder.Status`). Only a published ladder
is shown to everyone and takes people; a draft is HR's work in progress and a retired
ladder is kept with every record but leaves the ladder pages (HR still reads both, see
`assessments.access`). A new ladder starts as a draft: a copy made with Duplicate (which
remembers the published ladder it revises, `draft_of`), one added in the admin and one
created by importing a ladder file in the admin; HR publishes it when it is ready. The
`import_ladder` command creates a draft too unless given `--publish`, and the shipped
ladder is loaded published. Updating a ladder by importing a file keeps its status.

Every write to a ladder or its parts gives the ladder a new `StructureVersion`, the key
under which pages keep the structure they read (`levels.structure`): single saves and
deletes through the signals at the end of this module, bulk writes (`bulk_create`,
`bulk_update`, `update`) through the parts' querysets (`LadderPartQuerySet`).
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save, pre_delete, pre_save
from django.urls import reverse

from .history import LadderHistory

# The readiness rule of a ladder (see `assessments.readiness`): the share of a level's
# expectations someone must show, and for how long their evidence must run, to be "Ready".
READY_COVERAGE_DEFAULT = 80
READY_SPAN_MONTHS_DEFAULT = 6  # "performing at the next level for 6+ months, not just once"
READY_SPAN_MONTHS_MAX = 60


class LadderQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Ladder.Status.PUBLISHED)

    def update(self, **kwargs):
        pks = list(self.order_by().values_list("pk", flat=True))
        rows = super().update(**kwargs)
        _bump(StructureVersion.objects.filter(ladder__in=pks))
        return rows


class Ladder(models.Model):
    """A leveling framework for one discipline, e.g. Product Management, with its
    readiness rule and its status: draft, published or retired."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    slug = models.SlugField(
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9_-]*$",
                "Use lowercase letters, digits, '-' and '_', starting with a letter or digit.",
            )
        ],
        help_text="Short name used in addresses and ladder files, e.g. product-management.",
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    ready_coverage = models.PositiveSmallIntegerField(
        "coverage for Ready (%)",
        default=READY_COVERAGE_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The share of a level's expectations someone must show to be Ready for it, "
        "from 1 to 100. An expectation is shown by confirmed evidence shared with the person, "
        "or by a Meets or Exceeds rating in their latest shared review of that level.",
    )
    ready_span_months = models.PositiveSmallIntegerField(
        "months of evidence for Ready",
        default=READY_SPAN_MONTHS_DEFAULT,
        validators=[MaxValueValidator(READY_SPAN_MONTHS_MAX)],
        help_text="How long that evidence must run, from the first piece to the latest, "
        f"from 0 (no minimum) to {READY_SPAN_MONTHS_MAX} months.",
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="A draft is seen by HR only; a published ladder by everyone, and people can "
        "be placed on it; a retired one leaves the ladder pages and keeps every record.",
    )
    proficiency_scale = models.TextField(
        "proficiency scale",
        blank=True,
        help_text="Optional labels for how well an expectation is to be met, one per line, "
        "lowest first (e.g. Awareness, Working, Practitioner, Expert). An expectation may "
        "name one of them.",
    )
    draft_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="drafts",
        verbose_name="draft of",
        help_text="The published ladder this draft revises (set by Duplicate): the draft can "
        "replace it.",
    )

    objects = LadderQuerySet.as_manager()
    history = LadderHistory()
    # Changed only by publishing, retiring and replacing, never by reverting to a version.
    KEPT_ON_REVERT = ("status", "draft_of")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ready_coverage__gte=1, ready_coverage__lte=100),
                name="ladder_ready_coverage_is_a_percentage",
                violation_error_message="The coverage for Ready is a percentage from 1 to 100.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "retired"]),
                name="ladder_status_valid",
                violation_error_message="A ladder is a draft, published or retired.",
            ),
            models.CheckConstraint(
                condition=models.Q(ready_span_months__lte=READY_SPAN_MONTHS_MAX),
                name="ladder_ready_span_months_range",
                violation_error_message=(
                    f"The months of evidence for Ready go from 0 to {READY_SPAN_MONTHS_MAX}."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("levels:ladder", kwargs={"slug": self.slug})

    @property
    def proficiency_labels(self):
        """The ladder's proficiency scale, lowest first (empty when it has none)."""
        return split_lines(self.proficiency_scale)

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def is_retired(self):
        return self.status == self.Status.RETIRED


class StructureVersion(models.Model):
    """The version of a ladder's structure: a new random stamp with every write to the
    ladder or any of its parts, in the same transaction. Pages keep what they read of a
    ladder under its stamp (`levels.structure`), so a change shows at once on every app
    server, and a stamp rolled back with its transaction is never used again. A part's
    write takes its ladder's stamp before writing the part, so writers to one ladder lock
    rows in one order. Not part of the ladder's history."""

    ladder = models.OneToOneField(
        Ladder, on_delete=models.CASCADE, primary_key=True, related_name="structure_version"
    )
    stamp = models.UUIDField(default=uuid.uuid4)

    class Meta:
        ordering = ["ladder"]

    def __str__(self):
        return f"{self.ladder_id}: {self.stamp}"


def _bump(versions):
    """A new stamp for the structure versions `versions` (a queryset): one query."""
    versions.update(stamp=uuid.uuid4())


class LadderPartQuerySet(models.QuerySet):
    """The rows of a part of ladders. Bulk writes skip the signals that mark single saves,
    so they give their ladders a new structure version here, before writing (`bulk_update`
    writes through `update`); a bulk delete does it once, not once for each row."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if objs:
            _bump(_versions_of_rows(self.model, objs))
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        owner, _, to_rows = LADDER_PARTS[self.model]
        stored = Q(**{f"{to_rows}__in": self.order_by().values("pk")})
        _bump(StructureVersion.objects.filter(stored))
        rows = super().update(**kwargs)
        if owner.removesuffix("_id") in kwargs or owner in kwargs:  # moved: the new ladder too
            _bump(StructureVersion.objects.filter(stored))
        return rows

    def delete(self):
        to_rows = LADDER_PARTS[self.model][2]
        _bump(StructureVersion.objects.filter(**{f"{to_rows}__in": self.order_by().values("pk")}))
        self._structure_bumped = True  # for the signals of each row deleted (`_part_deleting`)
        try:
            return super().delete()
        finally:
            del self._structure_bumped

    delete.alters_data = True
    delete.queryset_only = True


class StaysOnItsLadder:
    """For a part of a ladder that other parts link to: it cannot move to another ladder
    while they do (they would then link parts of two ladders). The ladder it was loaded
    with is kept, so checking costs no query unless the ladder changed."""

    # Related names of the rows that link to it, and how to name them in a message.
    linked_from = {}

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        row = super().from_db(db, field_names, values, **kwargs)
        row._saved_ladder_id = row.__dict__.get("ladder_id")
        return row

    def clean(self):
        super().clean()
        if self.pk is None or self.ladder_id is None:
            return
        saved = getattr(self, "_saved_ladder_id", None)
        if saved is None:  # not loaded from the database, e.g. an earlier version
            rows = type(self)._default_manager.filter(pk=self.pk)
            saved = rows.values_list("ladder_id", flat=True).first()
        if saved is None or saved == self.ladder_id:
            return
        linked = [what for name, what in self.linked_from.items() if getattr(self, name).exists()]
        if linked:
            raise ValidationError(
                "%(row)s cannot move to another ladder: its %(linked)s belong to the "
                "%(ladder)s ladder. Add a new %(kind)s to the other ladder instead.",
                code="moves_ladder",
                params={
                    "row": self,
                    "linked": _and(linked),
                    "ladder": Ladder.objects.get(pk=saved),
                    "kind": self._meta.verbose_name,
                },
            )


def _and(words):
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _linked(row, name):
    """The row linked through the foreign key `name`: as set (on an add page, an unsaved
    parent), else as loaded, else None."""
    field = row._meta.get_field(name)
    if field.is_cached(row):
        return field.get_cached_value(row)
    return None if getattr(row, field.attname) is None else getattr(row, name)


def check_same_ladder(row, first, second):
    """Refuse `row` when the rows it links through its foreign keys `first` and `second`
    belong to different ladders. Uses the linked rows as loaded (forms and the importers
    have them at hand, so no query); the ladders are read only to word the refusal."""
    one, other = _linked(row, first), _linked(row, second)
    if one is None or other is None or one.ladder_id == other.ladder_id:
        return  # a missing link is the field's own error
    raise ValidationError(
        "The %(one_kind)s “%(one)s” is on the %(one_ladder)s ladder but the %(other_kind)s "
        "“%(other)s” is on the %(other_ladder)s ladder: both must be on the same ladder.",
        code="different_ladders",
        params={
            "one_kind": one._meta.verbose_name,
            "one": one,
            "one_ladder": one.ladder,
            "other_kind": other._meta.verbose_name,
            "other": other,
            "other_ladder": other.ladder,
        },
    )


class ActiveQuerySet(LadderPartQuerySet):
    def active(self):
        return self.filter(is_active=True)


class Category(StaysOnItsLadder, models.Model):
    """A group of expectations shown together on every level, e.g. Required Skills."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="categories")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    description = models.TextField(
        blank=True, help_text="What the category covers, shown above its expectations."
    )
    group = models.CharField(
        max_length=100,
        blank=True,
        help_text="Categories with the same group show together under its name as a heading, "
        "e.g. Validation for Customer interviewing and Experiments.",
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Categories show in this order, lowest first."
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="A retired category and its expectations leave the ladder pages but stay "
        "in recorded evidence and reviews.",
    )

    objects = ActiveQuerySet.as_manager()
    history = LadderHistory()
    linked_from = {"expectations": "expectations"}

    class Meta:
        ordering = ["ladder", "position", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "key"],
                name="category_key_unique_per_ladder",
                violation_error_message="This ladder already has a category with this key.",
            ),
        ]

    def __str__(self):
        return self.name


class Level(StaysOnItsLadder, models.Model):
    """One rung of a ladder. `position` orders levels by seniority within the ladder."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="levels")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    short_name = models.CharField(
        max_length=100,
        help_text="e.g. Senior PM. The career-path picture shortens a long one and shows it "
        "whole on hover and to screen readers.",
    )
    code = models.CharField(max_length=20, blank=True, help_text="e.g. L5")
    grade = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Lines up levels of different tracks: equal grades are peers.",
    )
    summary = models.TextField(blank=True)
    next_step = models.TextField(blank=True, help_text="How to reach the next level.")
    position = models.PositiveIntegerField(
        default=0,
        help_text="Seniority within the ladder: the most junior level has the lowest number. "
        "Each track orders its own levels, on the track's page.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Retired levels stay in people's history."
    )

    objects = ActiveQuerySet.as_manager()
    history = LadderHistory()
    linked_from = {
        "expectations": "expectations",
        "track_levels": "places on tracks",
        "aspect_values": "comparison values",
    }

    class Meta:
        ordering = ["ladder", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "key"],
                name="level_key_unique_per_ladder",
                violation_error_message="This ladder already has a level with this key.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("levels:level", kwargs={"slug": self.ladder.slug, "key": self.key})


class ExpectationQuerySet(LadderPartQuerySet):
    def active(self):
        """Expectations in use: neither they nor their category are retired."""
        return self.filter(is_active=True, category__is_active=True)


class Expectation(models.Model):
    """What a person at a level does or knows, in one category; with, optionally, a key
    that names it at every level (it matches the expectation with its counterparts when
    levels are compared and when a ladder file is imported again), examples, links and a
    proficiency label from the ladder's scale."""

    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="expectations")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="expectations")
    text = models.TextField()
    key = models.SlugField(
        max_length=50,
        blank=True,
        help_text="Optional. The same key at several levels marks one expectation growing "
        "from level to level, e.g. customer-interviewing.",
    )
    examples = models.JSONField(default=list, blank=True)
    links = models.JSONField(
        default=list, blank=True, help_text="Each a title and an http or https address."
    )
    proficiency = models.CharField(
        max_length=50, blank=True, help_text="A label from the ladder's proficiency scale."
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Order within its category on the level page, lowest first."
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Retired expectations leave the ladder pages but stay in recorded evidence.",
    )

    objects = ExpectationQuerySet.as_manager()
    history = LadderHistory()

    class Meta:
        ordering = ["level", "category__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "key"],
                condition=~Q(key=""),
                name="expectation_key_unique_per_level",
                violation_error_message="This level already has an expectation with this key.",
            ),
        ]

    def __str__(self):
        return self.text

    def clean(self):
        super().clean()
        check_same_ladder(self, "level", "category")
        from . import rules

        rules.check_expectation_details(self)


class Track(StaysOnItsLadder, models.Model):
    """A career path through the ladder: an ordered list of levels (see `TrackLevel`)."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="tracks")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    best_for = models.TextField("best for you if", blank=True, help_text="One reason per line.")
    challenges = models.TextField(blank=True, help_text="One challenge per line.")
    position = models.PositiveIntegerField(
        default=0, help_text="Tracks show in this order, lowest first."
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="A retired track leaves the ladder pages and pickers; people already on it "
        "keep it in their history.",
    )
    levels = models.ManyToManyField(Level, through="TrackLevel", related_name="tracks")

    objects = ActiveQuerySet.as_manager()
    history = LadderHistory()
    linked_from = {"track_levels": "levels"}

    class Meta:
        ordering = ["ladder", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "key"],
                name="track_key_unique_per_ladder",
                violation_error_message="This ladder already has a track with this key.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def best_for_list(self):
        return split_lines(self.best_for)

    @property
    def challenges_list(self):
        return split_lines(self.challenges)


class TrackLevel(models.Model):
    """A level's place on a track."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="track_levels")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="track_levels")
    position = models.PositiveIntegerField(
        help_text="The level's place along the track: lowest is the first step."
    )

    objects = LadderPartQuerySet.as_manager()
    history = LadderHistory()

    class Meta:
        ordering = ["track", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "level"],
                name="level_once_per_track",
                violation_error_message="This level is already on this track.",
            ),
        ]

    def __str__(self):
        return f"{self.track}: {self.level}"

    def clean(self):
        super().clean()
        check_same_ladder(self, "track", "level")


class NextLevel(models.Model):
    """Each level of a track with the next level after it (`selectors.next_levels`), and
    how many active expectations both have, kept as rows so that a query over many people
    can join them (readiness counted over a whole organisation) instead of spelling the
    rule out in SQL.

    Derived from the ladder's structure and written by `structure.keep_next_levels`
    whenever the structure version it was written for (`stamp`) is no longer the
    ladder's. Not a part of the ladder: writing it changes no version and no history, and
    its links hold no database constraint, so deleting a level or a track never waits for
    it or lists it (its rows are rewritten on the next read)."""

    track = models.ForeignKey(
        Track, on_delete=models.DO_NOTHING, db_constraint=False, related_name="next_levels"
    )
    level = models.ForeignKey(
        Level, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    expectations = models.PositiveIntegerField(default=0)
    next_level = models.ForeignKey(
        Level,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        help_text="None at the top of the track.",
    )
    next_expectations = models.PositiveIntegerField(default=0)
    stamp = models.UUIDField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["track", "level"], name="next_level_once"),
        ]

    def __str__(self):
        return f"{self.track_id}: {self.level_id} → {self.next_level_id}"


class Aspect(StaysOnItsLadder, models.Model):
    """A row of the comparison grid, e.g. Time Horizon."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="aspects")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(
        default=0, help_text="Rows of the comparison grid show in this order, lowest first."
    )

    objects = LadderPartQuerySet.as_manager()
    history = LadderHistory()
    linked_from = {"values": "values"}

    class Meta:
        ordering = ["ladder", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "name"],
                name="aspect_name_unique_per_ladder",
                violation_error_message="This ladder already has an aspect with this name.",
            ),
        ]

    def __str__(self):
        return self.name


class AspectValue(models.Model):
    """An aspect's value at one level, e.g. Time Horizon at Senior PM: Quarters."""

    aspect = models.ForeignKey(Aspect, on_delete=models.CASCADE, related_name="values")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="aspect_values")
    value = models.CharField(max_length=200)

    objects = LadderPartQuerySet.as_manager()
    history = LadderHistory()

    class Meta:
        ordering = ["aspect__position", "level__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["aspect", "level"],
                name="one_value_per_aspect_and_level",
                violation_error_message="This aspect already has a value for this level.",
            ),
        ]

    def __str__(self):
        return f"{self.aspect} at {self.level}: {self.value}"

    def clean(self):
        super().clean()
        check_same_ladder(self, "aspect", "level")


class PromotionCriterion(models.Model):
    """What gets people promoted, e.g. Impact."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="promotion_criteria")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(
        default=0, help_text="Shown in this order, lowest first."
    )

    objects = LadderPartQuerySet.as_manager()
    history = LadderHistory()

    class Meta:
        ordering = ["ladder", "position", "id"]
        verbose_name_plural = "promotion criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "name"],
                name="criterion_name_unique_per_ladder",
                violation_error_message="This ladder already has a criterion with this name.",
            ),
        ]

    def __str__(self):
        return self.name


class PromotionBlocker(models.Model):
    """A common reason promotions stall."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="promotion_blockers")
    text = models.TextField()
    position = models.PositiveIntegerField(
        default=0, help_text="Shown in this order, lowest first."
    )

    objects = LadderPartQuerySet.as_manager()
    history = LadderHistory()

    class Meta:
        ordering = ["ladder", "position", "id"]

    def __str__(self):
        return self.text


class FAQEntry(models.Model):
    """A frequently asked question about the ladder, with its answer."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="faq_entries")
    question = models.CharField(max_length=300)
    answer = models.TextField()
    position = models.PositiveIntegerField(
        default=0, help_text="Shown in this order, lowest first."
    )

    objects = LadderPartQuerySet.as_manager()
    history = LadderHistory()

    class Meta:
        ordering = ["ladder", "position", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self):
        return self.question


def split_lines(text):
    """The non-blank lines of a one-item-per-line text field."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# Structure versions -------------------------------------------------------------------------

# How each part of a ladder reaches its ladder: the part's foreign key up the ladder, and
# the lookups from a structure version to the rows that key points at and to the part's rows.
LADDER_PARTS = {
    Category: ("ladder_id", "ladder", "ladder__categories"),
    Level: ("ladder_id", "ladder", "ladder__levels"),
    Expectation: ("level_id", "ladder__levels", "ladder__levels__expectations"),
    Track: ("ladder_id", "ladder", "ladder__tracks"),
    TrackLevel: ("track_id", "ladder__tracks", "ladder__tracks__track_levels"),
    Aspect: ("ladder_id", "ladder", "ladder__aspects"),
    AspectValue: ("aspect_id", "ladder__aspects", "ladder__aspects__values"),
    PromotionCriterion: ("ladder_id", "ladder", "ladder__promotion_criteria"),
    PromotionBlocker: ("ladder_id", "ladder", "ladder__promotion_blockers"),
    FAQEntry: ("ladder_id", "ladder", "ladder__faq_entries"),
}


def _versions_of_rows(model, rows):
    """The structure versions of the ladders that `rows` of the part `model` belong to: by
    their foreign key as it is now, and as stored for saved rows (a row may be moving)."""
    owner, to_owner, to_rows = LADDER_PARTS[model]
    where = Q(**{f"{to_owner}__in": {getattr(row, owner) for row in rows} - {None}})
    stored = [row.pk for row in rows if row.pk is not None]
    if stored:
        where |= Q(**{f"{to_rows}__in": stored})
    return StructureVersion.objects.filter(where)


def _part_saving(sender, instance, **kwargs):
    _bump(_versions_of_rows(sender, [instance]))


def _part_deleting(sender, instance, origin=None, **kwargs):
    """Before a part is deleted: once for the object or the queryset (see
    `LadderPartQuerySet.delete`) the delete started from, as what it takes with it belongs
    to the same ladders; never when a whole ladder goes."""
    if isinstance(origin, Ladder) or getattr(origin, "model", None) is Ladder:
        return
    if getattr(origin, "_structure_bumped", False):
        return
    if type(origin) in LADDER_PARTS:
        _bump(_versions_of_rows(type(origin), [origin]))
        origin._structure_bumped = True  # an object is deleted once
        return
    _bump(_versions_of_rows(sender, [instance]))  # a delete that started elsewhere


def _ladder_saved(sender, instance, **kwargs):
    # After the ladder's own row, as an import that locks the ladder first does.
    StructureVersion.objects.bulk_create(
        [StructureVersion(ladder_id=instance.pk)],
        update_conflicts=True,
        unique_fields=["ladder"],
        update_fields=["stamp"],
    )


post_save.connect(_ladder_saved, sender=Ladder, dispatch_uid="ladder_structure_version")
for _model in LADDER_PARTS:
    pre_save.connect(_part_saving, sender=_model, dispatch_uid=f"{_model.__name__}_structure")
    pre_delete.connect(_part_deleting, sender=_model, dispatch_uid=f"{_model.__name__}_structure")

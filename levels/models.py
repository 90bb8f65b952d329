"""
The career ladder: ladders, their expectation categories, levels, expectations, tracks,
the comparison grid, promotion guidance and FAQ.

Everything hangs off a `Ladder` and is deleted with it (`CASCADE`); records about people
(in `assessments`) point at levels and expectations with `PROTECT`, so a level in use is
retired (`is_active=False`) rather than deleted. Every model keeps its change history
(`history`, see `levels.history`).
"""

from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from .history import LadderHistory


class Ladder(models.Model):
    """A leveling framework for one discipline, e.g. Product Management."""

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

    history = LadderHistory()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("levels:ladder", kwargs={"slug": self.slug})


class ActiveQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Category(models.Model):
    """A group of expectations shown together on every level, e.g. Required Skills."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="categories")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
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


class Level(models.Model):
    """One rung of a ladder. `position` orders levels by seniority within the ladder."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="levels")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=40, help_text="e.g. Senior PM")
    code = models.CharField(max_length=20, blank=True, help_text="e.g. L5")
    grade = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Lines up levels of different tracks: equal grades are peers.",
    )
    summary = models.TextField()
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


class ExpectationQuerySet(models.QuerySet):
    def active(self):
        """Expectations in use: neither they nor their category are retired."""
        return self.filter(is_active=True, category__is_active=True)


class Expectation(models.Model):
    """What a person at a level does or knows, in one category."""

    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="expectations")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="expectations")
    text = models.TextField()
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

    def __str__(self):
        return self.text


class Track(models.Model):
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


class Aspect(models.Model):
    """A row of the comparison grid, e.g. Time Horizon."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="aspects")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(
        default=0, help_text="Rows of the comparison grid show in this order, lowest first."
    )

    history = LadderHistory()

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


class PromotionCriterion(models.Model):
    """What gets people promoted, e.g. Impact."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="promotion_criteria")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(
        default=0, help_text="Shown in this order, lowest first."
    )

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

"""
People and judgement: employees on the ladder, their manager tree and their level history.

Levels change only through `services.assign_level`, which writes a `LevelAssignment` and
the employee's current level together. Reads of the reporting tree live in `selectors`;
who may see and do what, in `access`.

The reporting tree is kept twice: `manager`, the link HR edits, and `path`, the chain of
ids from the top of the person's tree down to them ("1/5/9/"), which the services that
change managers (`services.set_manager`, `services.place_employee`, the people-file
import) keep in step with it, under the reporting-lines lock. Everyone below someone is
everyone whose path starts with theirs: one index range scan (`path__within`), however
deep or wide the tree.
"""

import re

from django.conf import settings
from django.db import models
from django.db.models import Lookup
from django.db.models.functions import Lower
from django.urls import reverse

from levels.models import Ladder, Level, Track
from pmladder.adminlists import TrigramIndex, UpperPatternIndex
from pmladder.validators import multi_line, single_line

# A path: one or more ids, each followed by "/".
PATH = re.compile(r"(?:[1-9][0-9]*/)+")


def path_below(manager_path, pk):
    """The path of person `pk` reporting to someone whose path is `manager_path` ("" for
    nobody)."""
    return f"{manager_path}{pk}/"


def path_ids(path):
    """The ids of a path, from the top of the tree down to its person."""
    return [int(part) for part in path.split("/") if part]


def tree_paths(manager_of):
    """{pk: path} of everyone in `manager_of` ({pk: manager's pk or None}), in Python, each
    person's walk up stopping at the first person already done. A loop (only a bad manual
    edit of the links could leave one) is cut where it is found: that person is written as
    the top of their tree."""
    paths = {}
    for pk in manager_of:
        chain, seen, current = [], set(), pk
        while current is not None and current not in paths and current not in seen:
            seen.add(current)
            chain.append(current)
            current = manager_of.get(current)
        above = paths.get(current, "")
        for person in reversed(chain):
            above = paths[person] = path_below(above, person)
    return paths


class PathField(models.TextField):
    """A materialised path of the reporting tree (see the module's docstring)."""


@PathField.register_lookup
class Within(Lookup):
    """`path__within=prefix`: the paths that start with `prefix` (a whole path), so the
    person of `prefix` and everyone below them, as one range scan of the path's index.

    Both databases get the range `prefix <= path < prefix'`, where prefix' is `prefix`
    with its last "/" raised to "0", the next character, compared byte by byte:
    PostgreSQL's `~>=~` and `~<~`, the operators of the path's `text_pattern_ops` index,
    whatever the database's collation; SQLite's `>=` and `<`, as SQLite compares text byte
    by byte (its LIKE ignores case and so never uses a plain index). It is exact: "1/5/"
    never matches "1/50/".

    On PostgreSQL the two bounds are written into the SQL rather than sent as parameters
    (a path is only digits and "/", checked here). A connection keeps the plan of a
    prepared statement after five runs (`pmladder.database`), a plan made for any value
    of its parameters; but how many people a path covers goes from one to everyone, and a
    plan made without knowing it fitted a few people: a director's team page took 60 ms
    instead of 36, the head's 140 ms instead of 36. With the bounds in the SQL, each
    subtree's statement keeps a plan made for that subtree."""

    lookup_name = "within"
    prepare_rhs = False

    def _prefix(self):
        if not isinstance(self.rhs, str) or not PATH.fullmatch(self.rhs):
            raise ValueError(f"Not a path: {self.rhs!r}")
        return self.rhs

    def as_sql(self, compiler, connection):
        prefix = self._prefix()
        lhs, params = self.process_lhs(compiler, connection)
        return f"({lhs} >= %s AND {lhs} < %s)", [*params, prefix, *params, prefix[:-1] + "0"]

    def as_postgresql(self, compiler, connection):
        prefix = self._prefix()  # digits and "/" only: safe to write into the SQL
        lhs, params = self.process_lhs(compiler, connection)
        return f"({lhs} ~>=~ '{prefix}' AND {lhs} ~<~ '{prefix[:-1]}0')", [*params, *params]


class Employee(models.Model):
    """A person placed on a ladder, with their manager and current level."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        help_text="The sign-in of this person, if they have one.",
    )
    full_name = models.CharField(max_length=150, validators=[single_line])
    email = models.EmailField(max_length=254)
    job_title = models.CharField(max_length=150, blank=True, validators=[single_line])
    manager = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        help_text="Who this person reports to. Changing it never creates a loop.",
    )
    path = PathField(
        editable=False,
        default="",
        help_text="The ids from the top of this person's tree down to them, e.g. 1/5/9/; "
        "kept by the services that change managers.",
    )
    ladder = models.ForeignKey(Ladder, on_delete=models.PROTECT, related_name="employees")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="employees")
    level = models.ForeignKey(
        Level,
        on_delete=models.PROTECT,
        related_name="employees",
        help_text="Always the level of the latest assignment; change it by assigning a level.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive people cannot sign in and leave the team pages."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    level_since = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the current level took effect: the start of the latest run of "
        "assignments at it. Kept with the history by the services that write it.",
    )
    readiness_generation = models.PositiveIntegerField(
        default=0,
        db_default=0,  # for the people import's bulk inserts, which leave it out
        editable=False,
        help_text="Counts changes to what the person's readiness is measured from (their "
        "evidence and shared reviews): their kept figures are for one generation.",
    )

    class Meta:
        ordering = ["full_name", "id"]
        indexes = [
            # Serves `path__within` (prefix) lookups: the opclass on PostgreSQL, a plain
            # index on SQLite (opclasses are PostgreSQL's alone; elsewhere they are ignored).
            models.Index(fields=["path"], name="employee_path", opclasses=["text_pattern_ops"]),
            # The team pages' order: the first page of a big team without sorting it all.
            models.Index(fields=["full_name", "id"], name="employee_name"),
            # Searches (the admin's): names and emails by their start, job titles by any
            # part (see `pmladder.adminlists`).
            UpperPatternIndex("full_name", name="employee_name_prefix"),
            UpperPatternIndex("email", name="employee_email_prefix"),
            TrigramIndex("job_title", name="employee_job_title_trgm"),
            # People are looked for by any part of their name ("Halcot" finds Maya Halcot).
            TrigramIndex("full_name", name="employee_name_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="employee_email_unique",
                violation_error_message="Another person already has this email address.",
            ),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("pk")),
                name="employee_not_own_manager",
                violation_error_message="A person cannot be their own manager.",
            ),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("assessments:person", kwargs={"pk": self.pk})

    def is_below(self, other):
        """Whether this person reports to `other`, directly or not, by their paths as
        loaded (no query)."""
        return bool(other.path) and self.pk != other.pk and self.path.startswith(other.path)


class KeptReadiness(models.Model):
    """A person's readiness figures as `readiness.with_readiness` counted them, kept so
    that pages over many people (the organisation view, a big team sorted by readiness)
    read them instead of counting everyone's evidence again (`assessments.kept`).

    A row holds for the person's `generation` of changes, their level and track, and
    their ladder's structure `stamp` as they were when it was counted; when any of those
    has moved on, the row is out of date and is counted again before it is read. The
    badge is not kept: it is worked out on reading, from the ladder's rule as it is then.
    Derived data, in no history: deleting the row loses nothing."""

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, primary_key=True, related_name="kept_readiness"
    )
    generation = models.PositiveIntegerField()
    level = models.ForeignKey(
        Level, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    track = models.ForeignKey(
        Track, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    stamp = models.UUIDField(null=True, help_text="The ladder's structure version then.")
    current_total = models.PositiveIntegerField(default=0)
    current_shown = models.PositiveIntegerField(default=0)
    next_level = models.ForeignKey(
        Level,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        help_text="None at the top of the track.",
    )
    next_total = models.PositiveIntegerField(default=0)
    next_shown = models.PositiveIntegerField(default=0)
    next_first = models.DateField(null=True)
    next_last = models.DateField(null=True)
    counted_at = models.DateTimeField()

    class Meta:
        ordering = ["employee"]
        verbose_name_plural = "kept readiness"

    def __str__(self):
        return f"{self.employee_id}: {self.next_shown} of {self.next_total}"


class LevelAssignment(models.Model):
    """One step of an employee's level history: which level, from when, why, and by whom."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="assignments")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="assignments")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="assignments")
    effective_on = models.DateField("effective date")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="level_assignments_made",
    )
    rationale = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_on", "-id"]
        indexes = [
            models.Index(fields=["employee", "-effective_on", "-id"], name="assignment_history"),
            # Everyone's history in the admin, newest first, and its search.
            models.Index(fields=["-effective_on", "-id"], name="assignment_list"),
            TrigramIndex("rationale", name="assignment_rationale_trgm"),
        ]

    def __str__(self):
        return f"{self.employee} → {self.level} from {self.effective_on:%Y-%m-%d}"


class Literal(models.Value):
    """A constant of the app's own (letters and "_") written into the SQL rather than sent
    as a parameter. A connection keeps the plan of a statement it runs often, made for
    any value of its parameters (`pmladder.database`), and such a plan cannot use a
    partial index whose condition names a value: with the value in the SQL, it can."""

    def as_sql(self, compiler, connection):
        if not isinstance(self.value, str) or not re.fullmatch(r"[a-z_]+", self.value):
            raise ValueError(f"Not a plain constant: {self.value!r}")
        return f"'{self.value}'", []


class EvidenceQuerySet(models.QuerySet):
    def live(self):
        """Evidence that has not been deleted."""
        return self.filter(deleted_at__isnull=True)

    def pending(self):
        """Wins waiting for confirmation, not deleted: the rows of the index
        `evidence_pending_recent`, which its status in the SQL lets every plan use (with the
        status as a parameter, a director's wins box read 8,000 rows where 160 do: 14 ms
        instead of 3)."""
        return self.live().filter(
            status=Literal(Evidence.Status.PENDING.value, output_field=models.CharField())
        )

    def confirmed(self):
        """Evidence that is confirmed and not deleted: what reviews list beside ratings."""
        return self.live().filter(status=Evidence.Status.CONFIRMED)

    def counted(self):
        """Evidence that counts towards readiness, the same for whoever looks: confirmed,
        not deleted, shared with the person, and showing the expectation (no growth note)."""
        return self.confirmed().filter(
            visibility=Evidence.Visibility.SHARED, kind=Evidence.Kind.SHOWS
        )


class Evidence(models.Model):
    """Something a person did, recorded against one expectation: either it shows the
    expectation being met, or it is a growth note (a concern or a gap, what to work on).
    The expectation's text, category and level are copied when it is recorded, so later
    edits of the ladder never change what was recorded."""

    class Kind(models.TextChoices):
        SHOWS = "shows", "Shows the expectation being met"
        GROWTH = "growth", "Growth note: something to work on"

    class Source(models.TextChoices):
        MANAGER = "manager", "Manager"
        SELF = "self", "Self-logged"

    class Visibility(models.TextChoices):
        SHARED = "shared", "Shared with the person"
        PRIVATE = "private", "Private to their managers and HR"

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        PENDING = "pending", "Waiting for the manager"
        DECLINED = "declined", "Declined"

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="evidence")
    expectation = models.ForeignKey(
        "levels.Expectation", on_delete=models.PROTECT, related_name="evidence"
    )
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="evidence")
    expectation_text = models.TextField()
    category_name = models.CharField(max_length=100)
    level_name = models.CharField(max_length=100)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="evidence_written",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    observed_on = models.DateField("date observed")
    description = models.TextField(max_length=5000)
    link = models.URLField(max_length=500, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.SHARED
    )
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.SHOWS,
        help_text="Only evidence that shows the expectation counts towards readiness; "
        "growth notes are listed apart, as what to work on.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    criteria = models.ManyToManyField(
        "levels.PromotionCriterion",
        blank=True,
        related_name="evidence",
        verbose_name="promotion criteria it supports",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True, max_length=1000, validators=[multi_line])
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-observed_on", "-id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["employee", "expectation"], name="evidence_by_expectation"),
            models.Index(fields=["employee", "status"], name="evidence_by_status"),
            # Everyone's evidence in the admin, newest first, and its search.
            models.Index(fields=["-observed_on", "-id"], name="evidence_list"),
            # The wins waiting for a manager, newest first: a few in fifty items, so a
            # manager of thousands finds the newest of their people's wins in the first
            # rows rather than by reading everyone's evidence (`pending_wins_for_manager`).
            models.Index(
                fields=["-observed_on", "-id"],
                condition=models.Q(status="pending", deleted_at__isnull=True),
                name="evidence_pending_recent",
            ),
            # Who has evidence observed in a date range (the organisation view's quiet
            # reports): read from the index alone, not from every row in the range.
            models.Index(
                fields=["observed_on", "employee"],
                condition=models.Q(deleted_at__isnull=True),
                name="evidence_live_observed",
            ),
            TrigramIndex("description", name="evidence_description_trgm"),
            TrigramIndex("expectation_text", name="evidence_expectation_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source="self", visibility="private"),
                name="self_logged_evidence_is_shared",
                violation_error_message="A win someone logs themselves is always shared with them.",
            ),
            models.CheckConstraint(
                condition=~models.Q(source="self", kind="growth"),
                name="self_logged_evidence_shows",
                violation_error_message="A win someone logs themselves shows the expectation; "
                "growth notes come from their managers.",
            ),
        ]

    def __str__(self):
        return f"{self.employee}: {self.expectation_text[:60]}"


class EvidenceChange(models.Model):
    """One entry of an evidence item's history: who did what, and the item as it was after."""

    class Action(models.TextChoices):
        CREATED = "created", "Recorded"
        EDITED = "edited", "Edited"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        DELETED = "deleted", "Deleted"

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=10, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField(help_text="The item's fields after the change.")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.changed_at:%Y-%m-%d %H:%M}"


class Rating(models.TextChoices):
    """How well a person meets one expectation, in a review."""

    NOT_YET = "not_yet", "Not yet"
    DEVELOPING = "developing", "Developing"
    MEETS = "meets", "Meets"
    EXCEEDS = "exceeds", "Exceeds"


class Review(models.Model):
    """A level review: one person rated against every expectation of a target level."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHARED = "shared", "Shared with the person"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    class Readiness(models.TextChoices):
        # The words of the computed readiness too (`assessments.readiness`).
        NOT_READY = "not_ready", "Not yet"
        DEVELOPING = "developing", "Getting close"
        READY = "ready", "Ready"

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="reviews")
    target_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="reviews")
    target_level_name = models.CharField(max_length=100)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.DRAFT)
    readiness = models.CharField(
        "overall readiness", max_length=15, choices=Readiness.choices, blank=True
    )
    summary = models.TextField(blank=True, max_length=10000)
    acknowledgement = models.TextField("comment from the person", blank=True, max_length=5000)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Every review in the admin, newest first, and its search.
            models.Index(fields=["-created_at", "-id"], name="review_list"),
            TrigramIndex("summary", name="review_summary_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "target_level"],
                condition=models.Q(status="draft"),
                name="one_draft_review_per_level",
                violation_error_message="There is already a draft review against this level.",
            ),
        ]

    def __str__(self):
        return f"{self.employee} against {self.target_level_name}"

    def get_absolute_url(self):
        return reverse("assessments:review", kwargs={"pk": self.pk})


class ReviewRating(models.Model):
    """A review's rating of one expectation, with the expectation as it read when the
    review started."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings")
    expectation = models.ForeignKey(
        "levels.Expectation", on_delete=models.PROTECT, related_name="ratings"
    )
    expectation_text = models.TextField()
    category_name = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    rating = models.CharField(max_length=12, choices=Rating.choices, blank=True)
    comment = models.TextField(blank=True, max_length=5000)
    evidence_snapshot = models.JSONField(
        default=list,
        blank=True,
        help_text="The evidence beside this rating when the review was shared, as it read then.",
    )

    class Meta:
        ordering = ["review", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "expectation"],
                name="one_rating_per_expectation",
                violation_error_message="This review already rates this expectation.",
            ),
        ]

    def __str__(self):
        return f"{self.expectation_text[:60]}: {self.get_rating_display() or 'not rated'}"


class PeopleImport(models.Model):
    """A people file uploaded in the admin, kept from its preview to its confirmation (the
    import then re-checks it against the database), and afterwards as a record of who
    imported which file when, and what it did."""

    file_name = models.CharField(max_length=255)
    content = models.TextField(help_text="The file's text, as uploaded.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="people_imports",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    shown = models.JSONField(
        default=dict,
        blank=True,
        help_text="What its latest preview showed, person by person, to point out what "
        "changed by the confirmation.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.file_name

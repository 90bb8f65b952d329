"""
Promotion rounds: HR opens a round, managers nominate people for a target level, a
committee calibrates the candidates for each level side by side and decides, and
finalising applies every promotion at once.

A round moves draft → nominating → calibrating → finalised, only forwards, through
`services`. When nominations close, each nomination's packet is frozen (`snapshot`): the
committee decides on what stood at the deadline, and the calibration page reads one row a
candidate. Who may see and do what is for `assessments.access`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from assessments.models import Employee
from levels.models import Ladder, Level, Track
from pmladder.validators import single_line


class Round(models.Model):
    """A promotion round: who it covers, its dates, its committee and where it stands."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        NOMINATING = "nominating", "Taking nominations"
        CALIBRATING = "calibrating", "Calibrating"
        FINALISED = "finalised", "Finalised"

    name = models.CharField(max_length=120, validators=[single_line])
    ladders = models.ManyToManyField(
        Ladder,
        blank=True,
        related_name="rounds",
        help_text="The ladders it covers; none chosen means every ladder.",
    )
    org_root = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="part of the organisation",
        help_text="Everyone below this person is covered; leave empty for the whole organisation.",
    )
    nomination_deadline = models.DateField(help_text="The last day managers can nominate someone.")
    calibration_on = models.DateField(
        "calibration date", help_text="When the committee meets to decide."
    )
    effective_on = models.DateField(
        "effective date",
        help_text="The date the promotions take effect; the round is finalised on or after it.",
    )
    committee = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="committee_rounds",
        help_text="The people who calibrate, besides HR.",
    )
    self_nomination = models.BooleanField(
        "people may nominate themselves",
        default=False,
        help_text="When on, people in scope can put themselves forward too.",
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    nominations_closed_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-nomination_deadline", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(calibration_on__gte=models.F("nomination_deadline"))
                & models.Q(effective_on__gte=models.F("calibration_on")),
                name="round_dates_in_order",
                violation_error_message="The deadline comes first, then calibration, then the "
                "effective date.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("rounds:round", kwargs={"pk": self.pk})

    @property
    def is_finalised(self):
        return self.state == self.State.FINALISED


class Nomination(models.Model):
    """A person put forward for a target level in a round, with the case for it and, once
    calibrated, the committee's decision."""

    class Decision(models.TextChoices):
        PROMOTE = "promote", "Promote"
        NOT_THIS_ROUND = "not_this_round", "Not this round"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="nominations")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="nominations")
    from_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    target_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="nominations")
    target_track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    cases = models.JSONField(
        default=list,
        help_text="The case for each promotion criterion: [{criterion, name, case}], in the "
        "ladder's order.",
    )
    snapshot = models.JSONField(
        null=True,
        blank=True,
        help_text="The packet as it stood when nominations closed.",
    )
    decision = models.CharField(max_length=15, choices=Decision.choices, blank=True)
    rationale = models.TextField(
        blank=True,
        max_length=5000,
        help_text="Why: for the person's level history when they are promoted.",
    )
    feedback = models.TextField(
        "feedback for the person",
        blank=True,
        max_length=5000,
        help_text="What the person reads once the round is finalised.",
    )
    discussion = models.TextField(
        "committee notes",
        blank=True,
        max_length=10000,
        help_text="For the committee and HR only; never shown to the person.",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round", "target_level__position", "employee__full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "employee"],
                name="one_nomination_per_round",
                violation_error_message="This person is already nominated in this round.",
            ),
        ]
        indexes = [models.Index(fields=["round", "target_level"], name="nominations_by_level")]

    def __str__(self):
        return f"{self.employee} for {self.target_level} ({self.round})"

    def get_absolute_url(self):
        return reverse("rounds:nomination", kwargs={"pk": self.pk})

    @property
    def self_nominated(self):
        return self.nominated_by_id is not None and self.nominated_by_id == self.employee.user_id


class Endorsement(models.Model):
    """A few words from someone above the person's manager, backing a nomination."""

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="endorsements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(max_length=150)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "author"],
                name="one_endorsement_per_author",
                violation_error_message="You have already endorsed this nomination.",
            ),
        ]

    def __str__(self):
        return f"{self.author_name} endorses {self.nomination.employee}"


class NominationChange(models.Model):
    """One entry of a nomination's history: who did what, when, and the nomination after."""

    class Action(models.TextChoices):
        NOMINATED = "nominated", "Nominated"
        EDITED = "edited", "Case edited"
        ENDORSED = "endorsed", "Endorsed"
        FROZEN = "frozen", "Packet frozen"
        DECIDED = "decided", "Decision recorded"
        FINALISED = "finalised", "Finalised"

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=12, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_by_name = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(default=dict, help_text="The decision fields after the change.")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.changed_at:%Y-%m-%d %H:%M}"

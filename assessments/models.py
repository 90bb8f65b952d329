"""
People and judgement: employees on the ladder, their manager tree and their level history.

Levels change only through `services.assign_level`, which writes a `LevelAssignment` and
the employee's current level together. Reads of the reporting tree and of who may see
whom live in `selectors`.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from levels.models import Ladder, Level, Track


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
    full_name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    job_title = models.CharField(max_length=150, blank=True)
    manager = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        help_text="Who this person reports to. Changing it never creates a loop.",
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

    class Meta:
        ordering = ["full_name", "id"]
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
            models.Index(fields=["employee", "-effective_on", "-id"], name="assignment_history")
        ]

    def __str__(self):
        return f"{self.employee} → {self.level} from {self.effective_on:%Y-%m-%d}"

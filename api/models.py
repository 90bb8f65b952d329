"""
Personal access tokens for the JSON API (`api.authentication`).

A token is shown to its owner once, when it is made; only its SHA-256 hash is stored,
with a short prefix of it that lets the owner tell their tokens apart. A token signs its
owner in until it is revoked, until the end of its expiry date, or until its owner's
sign-in is switched off.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessTokenQuerySet(models.QuerySet):
    def usable(self):
        """Tokens that sign someone in today: not revoked, not past their expiry date."""
        today = timezone.localdate()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=today)
        )


class AccessToken(models.Model):
    """A personal access token: a user's key to the API, named by them."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, in a few words.")
    prefix = models.CharField(
        max_length=16, help_text="The token's first characters, to recognise it by."
    )
    token_hash = models.CharField(
        max_length=64,
        help_text="The SHA-256 hash of the token, in hex; the token itself is never stored.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="The last day the token works; empty: no expiry."
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash"],
                name="access_token_hash_unique",
                violation_error_message="This token exists already.",
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""),
                name="access_token_has_name",
                violation_error_message="Give the token a name.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self):
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_on is not None and self.expires_on < timezone.localdate():
            return self.Status.EXPIRED
        return self.Status.ACTIVE

"""The form of the access tokens page."""

import datetime

from django import forms
from django.utils import timezone

from .models import AccessToken
from .services import MAX_EXPIRY_DAYS

EXPIRY_CHOICES = [
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("date", "On a date"),
    ("never", "Never"),
]


class TokenForm(forms.Form):
    """A new token: its name, and when it stops working."""

    name = forms.CharField(
        max_length=AccessToken._meta.get_field("name").max_length,
        label="Name",
        help_text="What it is for, e.g. “HR sync script”.",
    )
    expires = forms.ChoiceField(
        choices=EXPIRY_CHOICES, initial="90", widget=forms.RadioSelect, label="Expires"
    )
    expires_on = forms.DateField(
        required=False,
        label="Expiry date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The last day it works, for “On a date”.",
    )

    def clean(self):
        data = super().clean()
        choice = data.get("expires")
        today = timezone.localdate()
        if choice == "date":
            if not data.get("expires_on"):
                self.add_error("expires_on", "Pick the last day the token works.")
        elif choice == "never":
            data["expires_on"] = None
        elif choice:
            data["expires_on"] = today + datetime.timedelta(days=int(choice))
        if data.get("expires_on") and data["expires_on"] > today + datetime.timedelta(
            days=MAX_EXPIRY_DAYS
        ):
            self.add_error("expires_on", "A token expires within two years at most.")
        return data

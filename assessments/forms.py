from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.utils import timezone

from levels.models import Level, Track


class AssignLevelForm(forms.Form):
    """A new level for one person; the rules are checked by `services.assign_level`."""

    track = forms.ModelChoiceField(queryset=Track.objects.none())
    level = forms.ModelChoiceField(queryset=Level.objects.none())
    effective_on = forms.DateField(
        label="Effective date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Today or earlier.",
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="Why this level: the evidence and the conversation behind it. "
        "The person sees it in their history.",
    )

    def __init__(self, *args, employee, suggested=None, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "track": employee.track_id,
                "level": (suggested or employee.level).pk,
                "effective_on": timezone.localdate(),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["track"].queryset = employee.ladder.tracks.all()
        self.fields["level"].queryset = employee.ladder.levels.active()
        self.fields["level"].label_from_instance = lambda level: (
            f"{level.name} ({level.code})" if level.code else level.name
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Assign level"))


class TeamFilterForm(forms.Form):
    """The filters of the team page (GET)."""

    scope = forms.ChoiceField(
        choices=[("direct", "Direct reports"), ("all", "Everyone below me")],
        required=False,
        initial="direct",
    )
    level = forms.ModelChoiceField(
        queryset=Level.objects.none(), required=False, empty_label="Any level"
    )
    track = forms.ModelChoiceField(
        queryset=Track.objects.none(), required=False, empty_label="Any track"
    )
    q = forms.CharField(label="Name or title", required=False, max_length=100)

    def __init__(self, *args, ladder_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = Level.objects.filter(ladder__in=ladder_ids).select_related(
            "ladder"
        )
        self.fields["track"].queryset = Track.objects.filter(ladder__in=ladder_ids)


class SetPasswordEmailForm(PasswordResetForm):
    """Django's password reset, also for people imported without a password yet: the same
    emailed one-time link lets them choose their first password."""

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.casefold() == email.casefold())

import json

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UsernameField
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.html import format_html

from levels.models import Level, PromotionCriterion, Track
from levels.selectors import is_step_down
from pmladder.widgets import LongSelect
from sso.rules import REFUSED_ANY as PASSWORD_REFUSED
from sso.rules import password_allowed_for, password_sign_in_on

from . import teamtable
from .models import Employee, Evidence


def apply_errors(form, error, *, rename=None):
    """Show a service's refusal (a ValidationError) on `form`: by field where it names one
    the form has (after `rename`, {service field: form field}), at the top otherwise."""
    if not hasattr(error, "error_dict"):
        for problem in error.messages:
            form.add_error(None, problem)
        return
    for name, problems in error.message_dict.items():
        name = (rename or {}).get(name, name)
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


class AssignLevelForm(forms.Form):
    """A new level for one person, picked per track; the rules are checked by
    `services.assign_level`. A step down needs an explicit confirmation.

    It also offers a new job title, suggested from the level picked, applied only when
    `update_title` is ticked. The box starts ticked when their title follows their level
    today (or they have none) and changes only when someone ticks or unticks it; the help
    under the title says, for each state, what saving does with it (both texts are on the
    page, the stylesheet and static/js/assign-level.js show the one that applies). The
    suggestion follows the level (the script as it is picked; without it, on saving) as
    long as the box holds the suggestion for the level it was made for, `title_for`: a
    title someone typed is never replaced."""

    placement = forms.ChoiceField(
        label="New level", help_text="Levels are grouped by the track they are on."
    )
    update_title = forms.BooleanField(label="Change their job title too", required=False)
    job_title = forms.CharField(
        label="New job title",
        required=False,
        max_length=Employee._meta.get_field("job_title").max_length,
    )
    # The level whose suggested title the box was filled with.
    title_for = forms.CharField(widget=forms.HiddenInput, required=False)
    effective_on = forms.DateField(
        label="Effective date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Today or earlier, and not before their current level started.",
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="Why this level: the evidence and the conversation behind it. "
        "The person sees it in their history.",
    )
    step_down = forms.BooleanField(
        label="Yes, this is a step down to a lower level", required=False, widget=forms.HiddenInput
    )
    # The latest assignment when the page was made, so a level assigned by someone else in
    # the meantime is not silently overwritten (0: none).
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, employee, paths, based_on, suggested=None, **kwargs):
        """`paths`: the tracks in use with their levels in use, to choose from;
        `suggested`: the level offered first (the next one on their track, if any)."""
        self.employee = employee
        self.options = {}
        groups = []
        for path in paths:
            choices = []
            for level in path.levels:
                value = f"{path.track.pk}:{level.pk}"
                self.options[value] = (path.track, level, path.levels.index(level))
                label = f"{level.name} ({level.code})" if level.code else level.name
                if (path.track.pk, level.pk) == (employee.track_id, employee.level_id):
                    label += " (current)"
                choices.append((value, label))
            groups.append((f"{path.track.name} track", choices))
        today = timezone.localdate()
        suggested = suggested or employee.level
        placement = f"{employee.track_id}:{suggested.pk}"
        current = employee.job_title
        kwargs.setdefault(
            "initial",
            {
                "placement": placement,
                "effective_on": today,
                "based_on": based_on,
                # Ticked when their title follows their level today (or they have none).
                "update_title": not current or self._follows_level(current),
                "job_title": self.suggest_title(suggested),
                "title_for": placement,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["placement"].choices = groups
        self.fields["effective_on"].widget.attrs["max"] = today.isoformat()
        self.fields["job_title"].widget.attrs["data-titles"] = json.dumps(
            {value: self.suggest_title(level) for value, (_, level, _) in self.options.items()}
        )
        # Help texts are shown as HTML: the title someone typed is escaped.
        self.fields["update_title"].help_text = format_html(
            "{} Picking another level changes the suggested title below, never this box.",
            format_html("Their title now: “{}”.", current)
            if current
            else "They have no title now.",
        )
        if current:
            applied = format_html("Saved as their job title, replacing “{}”.", current)
            not_applied = format_html(
                "Not applied: tick “Change their job title too” to use this; "
                "otherwise their title stays “{}”.",
                current,
            )
        else:
            applied = "Saved as their job title (they have none now)."
            not_applied = (
                "Not applied: tick “Change their job title too” to use this; "
                "otherwise they stay without a title."
            )
        self.fields["job_title"].help_text = format_html(
            '<span data-title-help="applied">{} Suggested from the level picked; edit it as '
            'you like.</span> <span data-title-help="not-applied">{}</span>',
            applied,
            not_applied,
        )

    def _follows_level(self, title):
        name = self.employee.level.name
        return title == name or title.startswith(f"{name},")

    def suggest_title(self, level):
        """The job title offered with `level`: its name, keeping what follows the current
        level's name in their title (", Checkout" in "Senior Product Manager, Checkout")."""
        title, name = self.employee.job_title, self.employee.level.name
        if title.startswith(f"{name},"):
            return level.name + title[len(name) :]
        return level.name

    def clean(self):
        cleaned = super().clean()
        choice = self.options.get(cleaned.get("placement"))
        if choice is None:
            return cleaned
        track, level, _ = choice
        cleaned["track"], cleaned["level"] = track, level
        self._follow_level(cleaned)
        if cleaned.get("update_title") and cleaned.get("job_title") == "":
            self.add_error(
                "job_title",
                "Enter their new job title, or untick the box above to keep the current one.",
            )
        if is_step_down(self.employee.level, level) and not cleaned.get("step_down"):
            self.fields["step_down"].widget = forms.CheckboxInput()
            self.add_error(
                "step_down",
                f"{level.name} is below {self.employee.level.name}. "
                "Tick the box to confirm the step down.",
            )
        return cleaned

    def _follow_level(self, cleaned):
        """A box still holding the suggestion for another level gets the chosen level's,
        here and on the page shown again."""
        shown = self.options.get(cleaned.get("title_for"))
        if shown is None or "job_title" not in cleaned:
            return
        placement = cleaned["placement"]
        if placement != cleaned["title_for"] and cleaned["job_title"] == self.suggest_title(
            shown[1]
        ):
            cleaned["job_title"] = self.suggest_title(cleaned["level"])
            self.data = self.data.copy()
            self.data[self.add_prefix("job_title")] = cleaned["job_title"]
            self.data[self.add_prefix("title_for")] = placement


class TeamFilterForm(forms.Form):
    """The filters and the sort of the team page and its CSV (GET)."""

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
    readiness = forms.ChoiceField(
        label="Readiness",
        choices=[
            ("", "Anyone"),
            ("ready-or-close", "Getting close or Ready"),
            ("close", "Getting close"),
            ("ready", "Ready"),
        ],
        required=False,
    )
    sort = forms.ChoiceField(label="Sort by", choices=teamtable.sort_choices(), required=False)

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
        return (
            user
            for user in users
            if user.email.casefold() == email.casefold()
            # While password sign-in is off, only break-glass accounts get a link (sso.rules).
            and password_allowed_for(user.get_username())
        )


class SignInForm(AuthenticationForm):
    """Django's sign-in, also accepting the email address of an account. What is typed is
    at most as long as the longer of the two (a longer value is a form error and never
    reaches authentication or the failed sign-in counts)."""

    username = UsernameField(
        label="Username or email", widget=forms.TextInput(attrs={"autofocus": True})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        limit = max(
            User._meta.get_field(User.USERNAME_FIELD).max_length,
            User._meta.get_field(User.get_email_field_name()).max_length,
        )
        field = self.fields["username"]
        field.max_length = limit
        field.widget.attrs["maxlength"] = str(limit)
        field.validators.append(MaxLengthValidator(limit))
        if not password_sign_in_on():
            # Only break-glass accounts may sign in with a password now: every refusal,
            # whatever the name, gets the same answer, so the page never tells which
            # names those accounts have.
            self.error_messages = {
                **self.error_messages,
                "invalid_login": PASSWORD_REFUSED,
                "inactive": PASSWORD_REFUSED,
            }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if "@" in username:
            User = get_user_model()
            if not User._default_manager.filter(username=username).exists():
                matches = list(
                    User._default_manager.filter(email__iexact=username).values_list(
                        "username", flat=True
                    )[:2]
                )
                if len(matches) == 1:  # an address shared by two accounts stays ambiguous
                    self.cleaned_data["username"] = matches[0]
        # While password sign-in is off, authentication refuses every name but the
        # break-glass ones (`sso.backends.PasswordSignInGuard`): as a failed sign-in,
        # counted and locked out alike, after as much work as checking a password, so
        # neither the answer, the lockout nor the time taken tells those names apart.
        return super().clean()


# What the evidence form calls each kind of evidence (`Evidence.Kind`).
EVIDENCE_KINDS = [
    (Evidence.Kind.SHOWS, "It shows they meet it: counts towards readiness"),
    (Evidence.Kind.GROWTH, "Growth note: a concern or a gap to work on; never counts"),
]


class EvidenceForm(forms.Form):
    """Evidence against one expectation. Managers choose who sees it and whether it shows
    the expectation being met or is a growth note; a person logging their own win does not
    (`own_win`): wins are always shared with them, and always show the expectation."""

    expectation = forms.TypedChoiceField(
        coerce=int,
        label="Expectation",
        help_text="Current and next levels come first.",
        widget=LongSelect,  # a whole ladder can be thousands of expectations
    )
    kind = forms.ChoiceField(
        choices=EVIDENCE_KINDS,
        initial=Evidence.Kind.SHOWS,
        widget=forms.RadioSelect,
        label="What it says",
        help_text="Only what shows they meet it counts towards readiness. Growth notes are "
        "listed apart, as what to work on.",
    )
    observed_on = forms.DateField(
        label="Date observed",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="What they did and the difference it made, concretely.",
    )
    link = forms.URLField(
        label="Link (optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="A document, launch note or dashboard that shows it.",
    )
    visibility = forms.ChoiceField(
        choices=Evidence.Visibility.choices,
        initial=Evidence.Visibility.SHARED,
        widget=forms.RadioSelect,
        label="Who can read it",
        help_text="Readiness is the same for whoever looks, so private notes never count "
        "towards it.",
    )
    criteria = forms.ModelMultipleChoiceField(
        queryset=PromotionCriterion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Promotion criteria it supports (optional)",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, employee, own_win=False, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expectation"].choices = [("", "Choose an expectation…"), *choices]
        self.fields["criteria"].queryset = employee.ladder.promotion_criteria.all()
        self.fields["observed_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["observed_on"].initial = timezone.localdate()
        if own_win:
            del self.fields["visibility"]
            del self.fields["kind"]
            self.fields[
                "description"
            ].help_text = "What you did and the difference it made. Your manager confirms it."

"""Forms of nominations. They only read and bound the input; who may do what, and whether a
case or a decision is complete, is for `assessments.access` and `rounds.services`."""

from django import forms

from .models import Endorsement, Nomination
from .services import CASE_MAX

VERSION_MISSING = (
    "This page is incomplete or out of date: reload it, then enter your decision again."
)


def _max_length(model, name):
    return model._meta.get_field(name).max_length


class NominationForm(forms.Form):
    """A nomination: the round (when making one), the target level among `targets`
    (`selectors.targets_for`) and a case for each promotion criterion of the person's
    ladder, as `case_<criterion pk>` (the keys `services.clean_cases` refuses by)."""

    round = forms.TypedChoiceField(
        coerce=int,
        label="Round",
        error_messages={
            "required": "Choose the round to nominate them in.",
            "invalid_choice": "Choose one of the rounds taking nominations.",
        },
    )
    target = forms.ChoiceField(
        label="Nominate for",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the level to nominate them for.",
            "invalid_choice": "Choose one of the next levels listed.",
        },
    )

    def __init__(self, *args, targets, criteria, rounds=None, **kwargs):
        """`rounds`: the rounds to choose from, or None when the round is already set
        (changing a nomination)."""
        super().__init__(*args, **kwargs)
        self.targets = {target.value: target for target in targets}
        self.criteria = list(criteria)
        if rounds is None:
            del self.fields["round"]
        else:
            self.rounds = {round.pk: round for round in rounds}
            self.fields["round"].choices = [(round.pk, round.name) for round in rounds]
            if len(rounds) == 1:
                self.fields["round"].widget = forms.HiddenInput()
        self.fields["target"].choices = [(t.value, t.label) for t in targets]
        for criterion in self.criteria:
            self.fields[f"case_{criterion.pk}"] = forms.CharField(
                label=criterion.name,
                help_text=criterion.description,
                max_length=CASE_MAX,
                widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={"required": f"Write a short case for {criterion.name}."},
            )

    @property
    def round_list(self):
        return list(self.rounds.values()) if "round" in self.fields else []

    @property
    def to_fix(self):
        """The fields refused, in the page's order, for the summary above the form."""
        return [field for field in self if field.errors and not field.is_hidden]

    @property
    def case_fields(self):
        return [self[f"case_{criterion.pk}"] for criterion in self.criteria]

    def clean_round(self):
        return self.rounds[self.cleaned_data["round"]]

    def clean_target(self):
        return self.targets[self.cleaned_data["target"]]

    def cases(self):
        """{criterion pk: case}, for the services."""
        return {c.pk: self.cleaned_data.get(f"case_{c.pk}", "") for c in self.criteria}

    @staticmethod
    def initial_from(nomination):
        """What a nomination holds, as this form's initial values."""
        initial = {"target": f"{nomination.target_track_id}:{nomination.target_level_id}"}
        for case in nomination.cases:
            initial[f"case_{case['criterion']}"] = case["case"]
        return initial


class EndorseForm(forms.Form):
    """A few words backing a nomination."""

    text = forms.CharField(
        label="Why you back it",
        max_length=_max_length(Endorsement, "text"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The committee reads it with the case.",
        error_messages={"required": "Say in a sentence or two why you back it."},
    )


class DecideForm(forms.Form):
    """The committee's decision on a nomination. `version` is the nomination's version when
    the page was opened; `next` is where to go once it is saved."""

    decision = forms.ChoiceField(
        label="Decision",
        choices=Nomination.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose Promote or Not this round.",
            "invalid_choice": "Choose Promote or Not this round.",
        },
    )
    rationale = forms.CharField(
        label="Rationale",
        max_length=_max_length(Nomination, "rationale"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why, in a sentence or two. Kept with the decision; a promotion's rationale "
        "goes into the person's level history, where they read it.",
        error_messages={"required": "Say why, in a sentence or two: it is kept with the decision."},
    )
    feedback = forms.CharField(
        label="Feedback for the person",
        required=False,
        max_length=_max_length(Nomination, "feedback"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What they read on their page once the round is finalised, not before.",
    )
    discussion = forms.CharField(
        label="Committee notes",
        required=False,
        max_length=_max_length(Nomination, "discussion"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For the committee and HR only; never shown to the person.",
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": VERSION_MISSING, "invalid": VERSION_MISSING},
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    @staticmethod
    def initial_from(nomination, next_url=""):
        return {
            "decision": nomination.decision,
            "rationale": nomination.rationale,
            "feedback": nomination.feedback,
            "discussion": nomination.discussion,
            "version": nomination.version,
            "next": next_url,
        }

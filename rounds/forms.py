"""Forms of promotion rounds. They only read and bound the input: the rules (dates in
order, who may run a round, a scope fixed once nominations close) are checked by
`rounds.services`, whose refusals `assessments.forms.apply_errors` puts on the form."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Lower

from assessments.models import Employee
from assessments.readiness import CLOSE, NOT_YET, READY
from assessments.selectors import HR_GROUP
from levels.models import Ladder

from . import selectors
from .models import Round

SCOPE_FIXED = "Fixed since nominations closed: the candidates are known."


def _max_length(name):
    return Round._meta.get_field(name).max_length


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrgRootField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"Everyone below {obj.full_name}"


class CommitteeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = selectors.person_name(obj)
        return f"{name} (HR)" if obj.in_hr_group or obj.is_superuser else name


def _people_with_reports():
    reports = Employee.objects.filter(manager=OuterRef("pk"), is_active=True)
    return Employee.objects.filter(Exists(reports), is_active=True)


def committee_choices(current=()):
    """The people who may sit on a committee: active sign-ins of HR or of someone with
    reports, and whoever is on it already, with whether they are in HR for their label."""
    User = get_user_model()
    in_hr = User.groups.through.objects.filter(user=OuterRef("pk"), group__name=HR_GROUP)
    managers = _people_with_reports().filter(user__isnull=False).values("user")
    return (
        User.objects.annotate(in_hr_group=Exists(in_hr))
        .filter(
            Q(is_active=True) & (Q(in_hr_group=True) | Q(is_superuser=True) | Q(pk__in=managers))
            | Q(pk__in=list(current))
        )
        .select_related("employee")
        .order_by(Lower(Coalesce("employee__full_name", "username")), "pk")
    )


class RoundForm(forms.Form):
    """A round's name, scope, dates, committee and setting, for `services.create_round`
    and `services.update_round`. Once nominations close its scope is shown, not edited."""

    name = forms.CharField(
        max_length=_max_length("name"),
        help_text="What people will call it, e.g. “H1 2027 promotions”.",
    )
    ladders = forms.ModelMultipleChoiceField(
        queryset=Ladder.objects.published().order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Ladders",
        help_text="Leave all unticked to cover every ladder.",
    )
    org_root = OrgRootField(
        queryset=Employee.objects.none(),
        required=False,
        label="Part of the organisation",
        empty_label="The whole organisation",
        help_text="Only the people below this person can be nominated.",
    )
    nomination_deadline = forms.DateField(
        label="Nomination deadline",
        widget=_date_input(),
        help_text="The last day managers can nominate someone.",
    )
    calibration_on = forms.DateField(
        label="Calibration date",
        widget=_date_input(),
        help_text="When the committee meets to decide; on or after the deadline.",
    )
    effective_on = forms.DateField(
        label="Effective date",
        widget=_date_input(),
        help_text="When the promotions take effect; on or after the calibration date. "
        "The round is finalised on or after it.",
    )
    committee = CommitteeField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Committee",
        help_text="The people who calibrate the candidates and decide. HR always can.",
    )
    self_nomination = forms.BooleanField(
        label="People may nominate themselves",
        required=False,
        help_text="When ticked, people in scope can put themselves forward too.",
    )

    def __init__(self, *args, round=None, **kwargs):
        self.round = round
        if round is None:
            kwargs.setdefault(
                "initial", {"committee": [user.pk for user in selectors.default_committee()]}
            )
            current_committee = []
        else:
            current_committee = [user.pk for user in round.committee.all()]
            kwargs.setdefault(
                "initial",
                {
                    "name": round.name,
                    "ladders": [ladder.pk for ladder in round.ladders.all()],
                    "org_root": round.org_root_id,
                    "nomination_deadline": round.nomination_deadline,
                    "calibration_on": round.calibration_on,
                    "effective_on": round.effective_on,
                    "committee": current_committee,
                    "self_nomination": round.self_nomination,
                },
            )
        super().__init__(*args, **kwargs)
        roots = _people_with_reports()
        if round is not None and round.org_root_id is not None:
            roots = Employee.objects.filter(Q(pk__in=roots.values("pk")) | Q(pk=round.org_root_id))
        self.fields["org_root"].queryset = roots.order_by("full_name", "id")
        self.fields["committee"].queryset = committee_choices(current_committee)
        if round is not None:  # published ladders, and those the round already covers
            covered = Q(pk__in=[ladder.pk for ladder in round.ladders.all()])
            ladders = Ladder.objects.filter(Q(status=Ladder.Status.PUBLISHED) | covered)
            self.fields["ladders"].queryset = ladders.order_by("name")
        if round is not None and round.state in (Round.State.CALIBRATING, Round.State.FINALISED):
            for name in ("ladders", "org_root"):
                self.fields[name].disabled = True
                self.fields[name].help_text = SCOPE_FIXED

    @property
    def has_field_errors(self):
        return any(name in self.fields for name in self.errors)

    def service_arguments(self):
        """The cleaned data as the services take it; a field shown but not editable (the
        scope, once nominations close) is left as it is."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }
        for name in ("ladders", "committee"):
            if name in data:
                data[name] = list(data[name])
        return data


READINESS_CHOICES = [
    ("", "Any readiness"),
    (READY[0], READY[1]),
    (CLOSE[0], CLOSE[1]),
    (NOT_YET[0], NOT_YET[1]),
]


class CalibrateFilterForm(forms.Form):
    """The filters and order of the calibration page (GET); a value that is not on offer
    is ignored, and the page says so."""

    badge = forms.ChoiceField(label="Readiness", choices=READINESS_CHOICES, required=False)
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("", "Any decision"), *selectors.DECISION_FILTERS.items()],
        required=False,
    )
    manager = forms.ChoiceField(label="Manager", required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[(key, label) for key, (label, _) in selectors.SORTS.items()],
        required=False,
    )

    def __init__(self, *args, managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = [("", "Any manager"), *((m, m) for m in managers)]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self):
        """The filters that make sense, by name; the others left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}

    def ignored(self):
        """The labels of the filters that were given but could not be used."""
        if not self.is_bound:
            return []
        self.is_valid()
        return [self.fields[name].label for name in self.errors if name in self.fields]

"""Forms of promotion rounds. They only read and bound the input: the rules (dates in
order, who may run a round, a scope fixed once nominations close) are checked by
`rounds.services`, whose refusals `assessments.forms.apply_errors` puts on the form."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Lower

from assessments.models import Employee
from assessments.readiness import CLOSE, NOT_YET, READY
from assessments.selectors import HR_GROUP
from levels.models import Ladder

from . import selectors
from .models import Round

SCOPE_FIXED = "Fixed since nominations closed: the candidates are known."
COMMITTEE_ADD_AT_ONCE = 50
COMMITTEE_SHOWN = 100  # members listed one by one on the form, at most
COMMITTEE_ADD_MAX = 5000  # characters of emails typed in one go


def _max_length(name):
    return Round._meta.get_field(name).max_length


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


SUGGESTIONS = 20  # people offered by the lookup at most
WORD_MATCH_FROM = 3  # typed characters from which names match by any word, not only the first


def _people_with_reports():
    reports = Employee.objects.filter(manager=OuterRef("pk"), is_active=True)
    return Employee.objects.filter(Exists(reports), is_active=True)


def _in_hr():
    User = get_user_model()
    return Exists(User.groups.through.objects.filter(user=OuterRef("pk"), group__name=HR_GROUP))


def _committee_eligible():
    """A Q on users: who may sit on a committee, an active sign-in of HR or of someone
    with reports."""
    managers = _people_with_reports().filter(user__isnull=False).values("user")
    return Q(is_active=True) & (Q(in_hr_group=True) | Q(is_superuser=True) | Q(pk__in=managers))


def committee_choices(current=()):
    """The people who may sit on a committee: active sign-ins of HR or of someone with
    reports, and whoever is on it already, with whether they are in HR for their label."""
    return (
        get_user_model()
        .objects.annotate(in_hr_group=_in_hr())
        .filter(_committee_eligible() | Q(pk__in=list(current)))
        .select_related("employee")
        .order_by(Lower(Coalesce("employee__full_name", "username")), "pk")
    )


def committee_label(user):
    """A committee member as the form names them (load `in_hr_group` and `employee`)."""
    name = selectors.person_name(user)
    return f"{name} (HR)" if user.in_hr_group or user.is_superuser else name


def _matching(query, prefix=""):
    """A Q on people (through `prefix`) whose name or email starts with `query`, or, from
    WORD_MATCH_FROM characters, whose name has a word starting with it. Served by the
    name and email indexes of `Employee`."""
    found = Q(**{f"{prefix}full_name__istartswith": query}) | Q(
        **{f"{prefix}email__istartswith": query}
    )
    if len(query) >= WORD_MATCH_FROM:
        found |= Q(**{f"{prefix}full_name__icontains": f" {query}"})
    return found


def root_suggestions(query, limit=SUGGESTIONS):
    """People a round can cover the team of (`query` matches their name or email), as
    {"email", "label"} rows, by name."""
    people = _people_with_reports().filter(_matching(query)).order_by("full_name", "id")
    return [
        {"email": person.email, "label": f"Everyone below {person.full_name}"}
        for person in people.only("full_name", "email")[:limit]
    ]


def committee_suggestions(query, limit=SUGGESTIONS):
    """Sign-ins who may sit on a committee that `query` matches, as {"email", "label"}
    rows, by name: the managers among the people (an indexed query: there can be
    thousands), then the few members of the HR group, found through the group (matched on
    their sign-in too). A superuser outside the HR group is not suggested, but can be
    added by email like anyone else."""
    User = get_user_model()
    managers = (
        _people_with_reports()
        .filter(_matching(query), user__is_active=True)
        .select_related("user")
        .order_by("full_name", "id")[:limit]
    )
    found = {person.user_id: (person.full_name, person.email) for person in managers}
    own = (
        Q(email__istartswith=query)
        | Q(username__istartswith=query)
        | Q(first_name__istartswith=query)
        | Q(last_name__istartswith=query)
        | _matching(query, "employee__")
    )
    in_hr = User.groups.through.objects.filter(group__name=HR_GROUP).values("user_id")
    hr = (
        User.objects.filter(own, pk__in=in_hr, is_active=True)
        .select_related("employee")
        .order_by("pk")[:limit]
    )
    for user in hr:
        email = user.employee.email if getattr(user, "employee", None) else user.email
        if email:
            found[user.pk] = (f"{selectors.person_name(user)} (HR)", email)
    rows = sorted(found.values(), key=lambda row: (row[0].lower(), row[1].lower()))
    return [{"email": email, "label": name} for name, email in rows[:limit]]


def _emails(text):
    """The addresses in `text`, however they are separated, each once, in order."""
    seen = {}
    for part in re.split(r"[\s,;]+", text):
        if part:
            seen.setdefault(part.lower(), part)
    return list(seen.values())


def _typed_emails(text, doing):
    """The addresses typed in `text` (`_emails`), refused past COMMITTEE_ADD_AT_ONCE with
    what the box is for, `doing` ("Add", "Take off")."""
    emails = _emails(text)
    if len(emails) > COMMITTEE_ADD_AT_ONCE:
        raise ValidationError(f"{doing} at most {COMMITTEE_ADD_AT_ONCE} people at a time.")
    return emails


def _people_by_email(emails, users):
    """{typed email: [user, ...]} of the `users` whose sign-in or person has each email."""
    lowered = {email.lower(): email for email in emails}
    wanted = Q()
    for email in emails:
        wanted |= Q(email__iexact=email) | Q(employee__email__iexact=email)
    found = {email: [] for email in emails}
    for user in users.filter(wanted) if emails else []:
        own = {(user.email or "").lower()}
        if getattr(user, "employee", None) is not None:
            own.add(user.employee.email.lower())
        for lowered_email in own & set(lowered):
            found[lowered[lowered_email]].append(user)
    return found


class CommitteeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return committee_label(obj)


class RoundForm(forms.Form):
    """A round's name, scope, dates, committee and setting, for `services.create_round`
    and `services.update_round`. Once nominations close its scope is shown, not edited.

    People are given by email, never picked from a list of everyone: an organisation can
    have thousands of managers. The part of the organisation is one person's email; the
    committee is its members as ticked boxes (for a new round, the default committee,
    worked out from the scope when it is saved) and the emails of people to add.
    `lookup_url` serves suggestions to the two boxes, for the browsers that run scripts."""

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
    org_root = forms.CharField(
        required=False,
        max_length=Employee._meta.get_field("email").max_length,
        label="Part of the organisation",
        widget=forms.TextInput(
            attrs={
                "list": "round-root-suggestions",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "The whole organisation",
            }
        ),
        help_text="The email of someone with a team: only the people below them can be "
        "nominated. Leave it empty for the whole organisation.",
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
    default_committee = forms.BooleanField(
        label="HR and the managers of managers among the people it covers",
        required=False,
        initial=True,
        help_text="The default committee, worked out from the ladders and the part of the "
        "organisation above when the round is saved. Untick it to choose everyone yourself.",
    )
    committee = CommitteeField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Committee",
        help_text="Untick someone to take them off the committee.",
    )
    committee_add = forms.CharField(
        required=False,
        max_length=COMMITTEE_ADD_MAX,
        label="Add people to the committee",
        widget=forms.TextInput(
            attrs={
                "list": "round-committee-suggestions",
                "autocomplete": "off",
                "spellcheck": "false",
                "data-several": "",
            }
        ),
        help_text="Their emails, separated by commas. HR and people with a team can sit on "
        "a committee; HR always can calibrate.",
    )
    committee_remove = forms.CharField(
        required=False,
        max_length=COMMITTEE_ADD_MAX,
        label="Take people off",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Their emails, separated by commas.",
    )
    self_nomination = forms.BooleanField(
        label="People may nominate themselves",
        required=False,
        help_text="When ticked, people in scope can put themselves forward too.",
    )

    def __init__(self, *args, round=None, lookup_url="", **kwargs):
        self.round = round
        if round is None:
            current = []
        else:
            # Up to COMMITTEE_SHOWN members are shown as boxes to untick; a bigger
            # committee (a default one, in a big organisation) is counted instead.
            current = list(round.committee.values_list("pk", flat=True)[: COMMITTEE_SHOWN + 1])
            kwargs.setdefault(
                "initial",
                {
                    "name": round.name,
                    "ladders": [ladder.pk for ladder in round.ladders.all()],
                    "org_root": round.org_root.email if round.org_root else "",
                    "nomination_deadline": round.nomination_deadline,
                    "calibration_on": round.calibration_on,
                    "effective_on": round.effective_on,
                    "committee": current,
                    "self_nomination": round.self_nomination,
                },
            )
        super().__init__(*args, **kwargs)
        self.large_committee = 0
        if len(current) > COMMITTEE_SHOWN:
            self.large_committee = round.committee.count()
            current = []
        self.current_committee = current
        if lookup_url:
            self.fields["org_root"].widget.attrs["data-people-lookup"] = f"{lookup_url}?for=root"
            self.fields["committee_add"].widget.attrs["data-people-lookup"] = (
                f"{lookup_url}?for=committee"
            )
        if round is None or self.large_committee:
            del self.fields["committee"]
        if not self.large_committee:
            del self.fields["committee_remove"]
        if round is not None:
            del self.fields["default_committee"]
        if "committee" in self.fields:
            self.fields["committee"].queryset = committee_choices(current).filter(pk__in=current)
        if round is not None and round.org_root is not None:
            self.fields["org_root"].help_text = (
                f"Now everyone below {round.org_root.full_name}. "
                + self.fields["org_root"].help_text
            )
        if round is not None:  # published ladders, and those the round already covers
            covered = Q(pk__in=[ladder.pk for ladder in round.ladders.all()])
            ladders = Ladder.objects.filter(Q(status=Ladder.Status.PUBLISHED) | covered)
            self.fields["ladders"].queryset = ladders.order_by("name")
        if round is not None and round.state in (Round.State.CALIBRATING, Round.State.FINALISED):
            for name in ("ladders", "org_root"):
                self.fields[name].disabled = True
                self.fields[name].help_text = SCOPE_FIXED
            if round.org_root is not None:
                self.fields["org_root"].help_text += f" Everyone below {round.org_root.full_name}."

    @property
    def has_field_errors(self):
        return any(name in self.fields for name in self.errors)

    def clean_org_root(self):
        """The person whose team the round covers, from their email (None: everyone)."""
        email = self.cleaned_data["org_root"].strip()
        if not email:
            return None
        current = self.round.org_root if self.round is not None else None
        if current is not None and current.email.lower() == email.lower():
            return current  # kept as it is, whoever they are now
        person = Employee.objects.filter(email__iexact=email).first()
        if person is None:
            raise ValidationError(f"Nobody here has the email {email}: check it for typos.")
        if not person.is_active:
            raise ValidationError(f"{person.full_name} has left; choose someone still here.")
        if not _people_with_reports().filter(pk=person.pk).exists():
            raise ValidationError(
                f"Nobody reports to {person.full_name}: give the email of someone with a "
                "team, or leave it empty for the whole organisation."
            )
        return person

    def clean_committee_add(self):
        """The sign-ins to add to the committee, from their emails: each must be someone
        who may sit on one, and name only them."""
        emails = _typed_emails(self.cleaned_data["committee_add"], "Add")
        if not emails:
            return []
        eligible = committee_choices(self.current_committee)
        found = _people_by_email(emails, eligible)
        problems = []
        missing = [email for email, users in found.items() if not users]
        known = _people_by_email(missing, get_user_model().objects.select_related("employee"))
        for email in emails:
            users = found[email]
            if len(users) > 1:
                names = ", ".join(sorted(selectors.person_name(user) for user in users))
                problems.append(
                    f"{email} is the email of more than one sign-in ({names}): ask an "
                    "administrator to tell them apart, or add them another way."
                )
            elif not users and known.get(email):
                name = selectors.person_name(known[email][0])
                problems.append(
                    f"{name} ({email}) cannot sit on a committee: only HR and people with a "
                    "team can."
                )
            elif not users:
                problems.append(f"Nobody who can sign in has the email {email}.")
        if problems:
            raise ValidationError(problems)
        return [found[email][0] for email in emails]

    def clean_committee_remove(self):
        """The members to take off a big committee, from their emails."""
        emails = _typed_emails(self.cleaned_data["committee_remove"], "Take off")
        members = _people_by_email(emails, self.round.committee.select_related("employee"))
        missing = [email for email, users in members.items() if not users]
        if missing:
            raise ValidationError([f"{email} is not on the committee." for email in missing])
        return [user for users in members.values() for user in users]

    def service_arguments(self):
        """The cleaned data as the services take it; a field shown but not editable (the
        scope, once nominations close) is left as it is. The committee: the members left
        ticked and those added; for a new round with the default committee, that committee
        (the service works it out when nobody is added) and those added."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
            and name not in ("committee", "committee_add", "committee_remove", "default_committee")
        }
        if "ladders" in data:
            data["ladders"] = list(data["ladders"])
        added = self.cleaned_data.get("committee_add") or []
        if self.round is None:
            if not self.cleaned_data.get("default_committee"):
                data["committee"] = added
            elif added:
                default = selectors.default_committee(
                    ladders=data.get("ladders", ()), org_root=data.get("org_root")
                )
                data["committee"] = list({user.pk: user for user in [*default, *added]}.values())
        elif self.large_committee:  # left as it is, but for whoever is added or taken off
            removed = {user.pk for user in self.cleaned_data.get("committee_remove") or []}
            if added or removed:
                kept = [user for user in self.round.committee.all() if user.pk not in removed]
                data["committee"] = list({user.pk: user for user in [*kept, *added]}.values())
        else:
            kept = list(self.cleaned_data.get("committee") or [])
            data["committee"] = list({user.pk: user for user in [*kept, *added]}.values())
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

"""
The filters of the organisation view, read from the address (GET) so a view can be
bookmarked and shared: ladder, track, level, a manager's subtree, a date range and the
span-of-control threshold.

Filters only ever narrow what `access.org_people` gives the viewer. A manager subtree
outside it is refused with a message, never widening the view; any filter that cannot be
read is ignored, with the reason, and the page is drawn without it.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.utils import timezone

from assessments import access
from assessments.readiness import add_months
from assessments.selectors import below_q, employee_of
from levels.models import Level, Track

SPAN_DEFAULT = 8  # managers with more direct reports than this are listed
MAX_QUARTERS = 20  # the longest date range, so the chart of changes stays readable


def quarter_start(day):
    """The first day of `day`'s calendar quarter."""
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def default_range(today):
    """The last four quarters: from the start of the quarter three before today's, to today."""
    return add_months(quarter_start(today), -9), today


class OrgFilterForm(forms.Form):
    """The filters of `/org/`: every field optional; `from`/`to` are read as `start`/`end`."""

    ladder = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any ladder")
    track = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any track")
    level = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any level")
    manager = forms.CharField(
        label="Below manager",
        required=False,
        max_length=254,
        help_text="Their id or email address.",
    )
    start = forms.DateField(label="From", required=False)
    end = forms.DateField(label="To", required=False)
    span = forms.IntegerField(
        label="Span threshold", required=False, min_value=1, max_value=1000, initial=SPAN_DEFAULT
    )

    def __init__(self, data, *, user):
        data = data.copy()
        # The address says from/to, as people write them; the form's names avoid keywords.
        for outside, inside in (("from", "start"), ("to", "end")):
            if outside in data:
                data[inside] = data.pop(outside)[-1]
        super().__init__(data)
        ladders = access.visible_ladders(user)
        self.fields["ladder"].queryset = ladders.order_by("name")
        self.fields["track"].queryset = (
            Track.objects.filter(ladder__in=ladders, is_active=True)
            .select_related("ladder")
            .order_by("ladder__name", "position")
        )
        self.fields["level"].queryset = (
            Level.objects.filter(ladder__in=ladders, is_active=True)
            .select_related("ladder")
            .order_by("ladder__name", "grade", "position")
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and not end and start > timezone.localdate():
            self.add_error("start", "The date range starts in the future.")
        elif start and end and start > end:
            self.add_error("end", "The end of the date range comes before its start.")
        elif start and end and start < add_months(quarter_start(end), -3 * (MAX_QUARTERS - 1)):
            self.add_error("start", f"A date range covers at most {MAX_QUARTERS} quarters.")
        return data


@dataclass
class Scope:
    """What one view of the organisation covers: `people` (a queryset, never loaded whole),
    who it is below (`root`, None for HR's whole organisation), the date range and the
    span threshold, and the filters ignored, with why."""

    user: object
    people: object
    root: object
    start: datetime.date
    end: datetime.date
    today: datetime.date
    span_limit: int = SPAN_DEFAULT
    filters: dict = field(default_factory=dict)
    ignored: list = field(default_factory=list)  # [(label, reason)]
    cache: dict = field(default_factory=dict)  # querysets built once a request

    @property
    def query(self):
        """The address's query for this view, written the same way whoever typed it (a
        manager by id, every date and the threshold spelled out): what its downloads link
        to, so kept figures shared by two viewers (`kept`) download the same people."""
        params = {}
        if self.filters.get("manager") and self.root is not None:
            params["manager"] = self.root.pk
        for name in ("ladder", "track", "level"):
            if self.filters.get(name):
                params[name] = self.filters[name].pk
        params.update(
            {"from": self.start.isoformat(), "to": self.end.isoformat(), "span": self.span_limit}
        )
        return urlencode(params)

    @property
    def narrowed_to(self):
        """The ladder, track and level the view is narrowed to, in words ("the Product
        ladder, the IC track"), or "" when it is not: the page's heading names who the
        view is below, and this line the rest, for a printed page too."""
        kinds = [(name, self.filters.get(name)) for name in ("ladder", "track", "level")]
        named = [f"the {obj.name} {name}" for name, obj in kinds if obj]
        if len(named) > 1:
            return f"{', '.join(named[:-1])} and {named[-1]}"
        return "".join(named)

    @property
    def filtered(self):
        return any(self.filters.get(name) for name in ("ladder", "track", "level", "manager"))


def _subtree_root(text, user):
    """The person a "manager" filter names (an id or an email address) among those the
    viewer's view covers, or None."""
    people = access.org_people(user)
    text = text.strip()
    if text.isdigit():
        return people.filter(pk=int(text)).first()
    return people.filter(email__iexact=text).first()


def read_scope(params, user):
    """The view `user` asked for with `params` (request.GET): `(form, scope)`."""
    today = timezone.localdate()
    form = OrgFilterForm(params, user=user)
    form.is_valid()
    ignored = [
        (form.fields[name].label or name.title(), " ".join(errors))
        for name, errors in form.errors.items()
        if name in form.fields
    ]
    data = {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
    people = access.org_people(user)
    root = None if access.is_hr(user) else employee_of(user)
    if data.get("manager"):
        chosen = _subtree_root(data["manager"], user)
        if chosen is None:
            ignored.append(
                (
                    "Below manager",
                    f"“{data['manager']}” is nobody in your part of the organisation, so "
                    "the view is not narrowed to them.",
                )
            )
            data["manager"] = ""
        else:
            # Everyone below them: they are in the view already, so this only narrows it.
            root = chosen
            people = people.filter(below_q(chosen))
    for name, lookup in (("ladder", "ladder"), ("track", "track"), ("level", "level")):
        if data.get(name):
            people = people.filter(**{lookup: data[name]})
    start, end = default_range(today)
    if not form.errors.get("start") and not form.errors.get("end"):
        end = data.get("end") or end
        start = data.get("start") or min(start, end)
        if data.get("end") and not data.get("start"):
            start = add_months(quarter_start(end), -9)
    return form, Scope(
        user=user,
        people=people,
        root=root,
        start=start,
        end=end,
        today=today,
        span_limit=data.get("span") or SPAN_DEFAULT,
        filters=data,
        ignored=ignored,
    )

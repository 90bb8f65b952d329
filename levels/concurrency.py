"""Optimistic concurrency for admin edits: a later save of an object that someone else
saved in the meantime is refused. The form then shows their version with the user's own
changes on top, names who saved and what they changed, and a second save applies it.
A revert to an earlier version over a change made since its page was shown is refused
outright (`locked_unchanged`)."""

import hashlib
import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import model_to_dict
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.functional import cached_property

from .history import made_by

GONE_MESSAGE = "Someone else deleted this since you opened it. Nothing was saved."


def edit_token(instance):
    """A fingerprint of the object's saved field values."""
    fields = [field.name for field in instance._meta.concrete_fields]
    data = model_to_dict(instance, fields=fields)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class ConcurrencyModelForm(forms.ModelForm):
    """A model form that carries the fingerprint of the object it was opened on."""

    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["edit_token"].initial = edit_token(self.instance)
            # Each field also carries the value the user was shown, so `has_changed()`
            # means "the user changed it", not "it differs from the database": a row
            # someone else changed meanwhile but this user left alone is neither refused
            # nor saved back over their change.
            for name, field in self.fields.items():
                if name != "edit_token":
                    field.show_hidden_initial = True
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                # Browsers send text-area line breaks as CR LF; the ladder keeps LF, so
                # an untouched text is not a change (and is saved as it was).
                field.to_python = _with_lf_line_breaks(field.to_python)

    @cached_property
    def changed_data(self):
        # The fingerprint differs whenever someone else saved: not a change by this user.
        return [name for name in super().changed_data if name != "edit_token"]

    def writes(self):
        """Whether saving this form writes: an unchanged form writes nothing (so it cannot
        overwrite anyone's edit)."""
        return self.has_changed()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and self.writes():
            saved = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
            if saved is None:
                raise ValidationError(GONE_MESSAGE, code="stale")
            token = edit_token(saved)
            if cleaned.get("edit_token") == token:
                return cleaned
            who, when = _last_saved_by(saved, token)
            theirs = self._rebase(saved, token)
            raise ValidationError(self._stale_message(who, when, theirs), code="stale")
        return cleaned

    def _post_clean(self):
        # A refused form leaves the object as saved (the page title keeps its name).
        if not self.has_error(NON_FIELD_ERRORS, code="stale"):
            super()._post_clean()

    def _rebase(self, saved, token):
        """Put the saved version in the form, with the user's own changes on top, and
        take its fingerprint: saving again applies the user's changes to it. Returns the
        fields that changed since the user opened the page."""
        names = [name for name, field in self.fields.items() if field.show_hidden_initial]
        current = model_to_dict(saved, fields=names)
        mine = set(self.changed_data)
        theirs = []
        data = self.data.copy()
        for name, value in current.items():
            field = self.fields[name]
            shown = self._widget_data_value(field.hidden_widget(), self[name].html_initial_name)
            if field.has_changed(value, shown):
                theirs.append(name)
            data[self.add_initial_prefix(name)] = "" if value is None else str(value)
            if name not in mine:
                key = self.add_prefix(name)
                if isinstance(field.widget, forms.CheckboxInput):
                    data.pop(key, None)
                    if value:
                        data[key] = "on"
                else:
                    data[key] = "" if value is None else str(value)
        data[self.add_prefix("edit_token")] = token
        self.data = data
        return theirs

    def _stale_message(self, who, when, theirs):
        changed = ", ".join(str(self.fields[name].label).lower() for name in theirs)
        both = [name for name in theirs if name in self.changed_data]
        parts = [
            f"{who} saved this{when} after you opened it"
            + (f", changing {changed}." if changed else "."),
            "Nothing was saved. The form now shows their version with your changes on top",
        ]
        if both:
            mine = ", ".join(str(self.fields[name].label).lower() for name in both)
            parts[-1] += f" (you both changed {mine}: yours is in the form)"
        parts[-1] += ". Check it, then save again."
        return " ".join(parts)


class ConcurrencyAdminMixin:
    """Use in a ModelAdmin: edits made on a stale page are refused."""

    form = ConcurrencyModelForm


def locked_unchanged(model, pk, token):
    """The saved object `pk` of `model`, locked until the transaction ends, when it is
    still as it was when its fingerprint `token` was taken; otherwise a `ValidationError`
    that says who changed it (or that it was deleted). Call inside `transaction.atomic`."""
    saved = model._default_manager.select_for_update().filter(pk=pk).first()
    if saved is None:
        raise ValidationError(GONE_MESSAGE, code="stale")
    current = edit_token(saved)
    if token != current:
        who, when = _last_saved_by(saved, current)
        raise ValidationError(
            f"{who} saved this{when} after you opened this version. Nothing was restored: "
            "the page now shows the difference from the latest. Check it, then revert again.",
            code="stale",
        )
    return saved


class ConcurrencyInlineMixin:
    """Use in an InlineModelAdmin: each row carries its fingerprint, and a changed row
    that someone else saved in the meantime refuses the whole save."""

    form = ConcurrencyModelForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if "edit_token" in fields else [*fields, "edit_token"]


def _last_saved_by(saved, token):
    """Who saved `saved` (whose fingerprint is `token`) as it is now, and ' at HH:MM', from
    its history when that has its current state; otherwise ('Someone else', '')."""
    history = getattr(type(saved), "history", None)
    if history is None:
        return "Someone else", ""
    record = history.filter(id=saved.pk).select_related("history_user").first()
    if record is None or edit_token(record.instance) != token:
        return "Someone else", ""
    when = date_filter(timezone.localtime(record.history_date), "H:i")
    return made_by(record.history_user, nobody="Someone else"), f" at {when}"


def _with_lf_line_breaks(to_python):
    def convert(value):
        value = to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value

    return convert

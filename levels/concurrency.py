"""Optimistic concurrency for admin edits: a later save of an object that someone else
saved in the meantime is refused. The form then shows their version with the user's own
changes on top, names who saved and what they changed, and a second save applies it.
A revert to an earlier version over a change made since its page was shown is refused
outright (`locked_unchanged`).

What a page showed travels with it in one signed value per object or row (`edit_token`):
the fingerprint of the object as it was saved, and the values of the fields the page
showed. Those values tell a change the user made from one someone else made meanwhile;
the fingerprint tells whether anyone saved at all. A value that is missing or does not
verify is never trusted: the save is refused as if the object had changed."""

import hashlib
import json

from django import forms
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.forms.models import model_to_dict
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.functional import cached_property

from .history import made_by

GONE_MESSAGE = "Someone else deleted this since you opened it. Nothing was saved."
UNVERIFIED_MESSAGE = (
    "This form did not carry a valid record of what it showed, so nothing was saved. The "
    "form now shows the saved version with your changes on top. Check it, then save again."
)
UNVERIFIED_REVERT_MESSAGE = (
    "This page did not carry a valid record of the version it compared with, so nothing "
    "was restored: the page now shows the difference from the latest. Check it, then "
    "revert again."
)


def fingerprint(instance):
    """A digest of the object's saved field values."""
    fields = [field.name for field in instance._meta.concrete_fields]
    data = model_to_dict(instance, fields=fields)
    encoded = json.dumps(data, sort_keys=True, default=str).encode()
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def edit_token(instance, shown=None):
    """The signed value a page carries for `instance`: its fingerprint and, for a form,
    `shown` (field name -> the value the form showed). Signed for this object alone, so
    it cannot be moved to another row."""
    payload = {"v": fingerprint(instance)}
    if shown is not None:
        payload["s"] = {name: _plain(value) for name, value in shown.items()}
    return _signer(type(instance), instance.pk).sign_object(payload, compress=True)


def read_token(model, pk, token):
    """The payload of an `edit_token` of the object `pk` of `model`, or None when the
    token is missing, altered or made for another object."""
    if not token:
        return None
    try:
        payload = _signer(model, pk).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("v"), str):
        return None
    if not isinstance(payload.get("s", {}), dict):
        return None
    return payload


def _signer(model, pk):
    return signing.Signer(salt=f"levels.concurrency.{model._meta.label_lower}.{pk}")


def _plain(value):
    """`value` as JSON keeps it: text, numbers, booleans and None as they are, lists item
    by item, anything else as text (read back through the form field)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(getattr(value, "pk", value))


class ConcurrencyModelForm(forms.ModelForm):
    """A model form that carries, in one signed value, the fingerprint of the object it
    was opened on and the values it showed."""

    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # Taken when the page is drawn (a bound form shows the posted value instead).
            self.fields["edit_token"].initial = self._opened_token
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                # Browsers send text-area line breaks as CR LF; the ladder keeps LF, so
                # an untouched text is not a change (and is saved as it was).
                field.to_python = _with_lf_line_breaks(field.to_python)

    def _opened_token(self):
        return edit_token(self.instance, {name: self[name].initial for name in self.guarded})

    @cached_property
    def guarded(self):
        """The names of the model's fields on the form: the values the token carries."""
        opts = self._meta.model._meta
        names = []
        for name in self.base_fields:
            if name == "edit_token" or name not in self.fields:
                continue
            try:
                opts.get_field(name)
            except FieldDoesNotExist:
                continue
            names.append(name)
        return names

    @cached_property
    def opened(self):
        """The verified payload posted with the form, or None (also on an add form)."""
        if not self.is_bound or self.instance.pk is None:
            return None
        return read_token(type(self.instance), self.instance.pk, self["edit_token"].data)

    @cached_property
    def changed_data(self):
        # A field counts as changed when the user changed it, compared with what the page
        # showed, not with the database: a row someone else changed meanwhile but this
        # user left alone is neither refused nor saved back over their change. Without a
        # verified token, the comparison is with the saved object.
        shown = self.opened["s"] if self.opened else {}
        changed = []
        for name, bound in self._bound_items():
            if name == "edit_token":
                continue
            if name not in shown:
                if bound._has_changed():
                    changed.append(name)
                continue
            field = bound.field
            initial = shown[name]
            if not isinstance(field, forms.ModelChoiceField):
                try:
                    initial = field.to_python(initial)
                except ValidationError:
                    changed.append(name)
                    continue
            if field.has_changed(initial, bound.data):
                changed.append(name)
        return changed

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
            if self.opened is None:
                self._rebase(saved, None)
                raise ValidationError(UNVERIFIED_MESSAGE, code="stale")
            current = fingerprint(saved)
            if self.opened["v"] == current:
                return cleaned
            who, when = _last_saved_by(saved, current)
            theirs = self._rebase(saved, self.opened.get("s", {}))
            raise ValidationError(self._stale_message(who, when, theirs), code="stale")
        return cleaned

    def _post_clean(self):
        # A refused form leaves the object as saved (the page title keeps its name).
        if not self.has_error(NON_FIELD_ERRORS, code="stale"):
            super()._post_clean()

    def _rebase(self, saved, shown):
        """Put the saved version in the form, with the user's own changes on top, and a
        token for it: saving again applies the user's changes to it. Returns the fields
        that changed since the user opened the page (by `shown`, what it showed)."""
        current = model_to_dict(saved, fields=self.guarded)
        mine = set(self.changed_data)
        theirs = []
        data = self.data.copy()
        for name, value in current.items():
            field = self.fields[name]
            if shown is not None and name in shown and field.has_changed(value, shown[name]):
                theirs.append(name)
            if name not in mine:
                key = self.add_prefix(name)
                if isinstance(field.widget, forms.CheckboxInput):
                    data.pop(key, None)
                    if value:
                        data[key] = "on"
                else:
                    data[key] = "" if value is None else str(value)
        data[self.add_prefix("edit_token")] = edit_token(saved, current)
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
    still as it was when its `edit_token` was taken; otherwise a `ValidationError` that
    says who changed it (or that it was deleted, or that the token does not verify).
    Call inside `transaction.atomic`."""
    saved = model._default_manager.select_for_update().filter(pk=pk).first()
    if saved is None:
        raise ValidationError(GONE_MESSAGE, code="stale")
    opened = read_token(model, pk, token)
    if opened is None:
        raise ValidationError(UNVERIFIED_REVERT_MESSAGE, code="stale")
    current = fingerprint(saved)
    if opened["v"] != current:
        who, when = _last_saved_by(saved, current)
        raise ValidationError(
            f"{who} saved this{when} after you opened this version. Nothing was restored: "
            "the page now shows the difference from the latest. Check it, then revert again.",
            code="stale",
        )
    return saved


class ConcurrencyInlineMixin:
    """Use in an InlineModelAdmin: each row carries its token, and a changed row that
    someone else saved in the meantime refuses the whole save."""

    form = ConcurrencyModelForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if "edit_token" in fields else [*fields, "edit_token"]


def _last_saved_by(saved, current):
    """Who saved `saved` (whose fingerprint is `current`) as it is now, and ' at HH:MM',
    from its history when that has its current state; otherwise ('Someone else', '')."""
    history = getattr(type(saved), "history", None)
    if history is None:
        return "Someone else", ""
    record = history.filter(id=saved.pk).select_related("history_user").first()
    if record is None or fingerprint(record.instance) != current:
        return "Someone else", ""
    when = date_filter(timezone.localtime(record.history_date), "H:i")
    return made_by(record.history_user, nobody="Someone else"), f" at {when}"


def _with_lf_line_breaks(to_python):
    def convert(value):
        value = to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value

    return convert

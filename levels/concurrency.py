"""Optimistic concurrency for admin edits: a later save of an object that someone else
saved in the meantime is refused, and the form keeps what the user typed."""

import hashlib
import json

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils.functional import cached_property

STALE_MESSAGE = (
    "Someone else saved this since you opened it. Nothing was saved; your changes are "
    "still in the form. Open the page again in another tab to see theirs, then save."
)


def edit_token(instance):
    """A fingerprint of the object's saved field values."""
    fields = [field.name for field in instance._meta.concrete_fields]
    data = model_to_dict(instance, fields=fields)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class ConcurrencyModelForm(forms.ModelForm):
    """A model form that carries the fingerprint of the object it was opened on."""

    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # The saved object the edit starts from, when the form shows something else (an
    # earlier version, to be restored).
    token_base = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["edit_token"].initial = edit_token(self.token_base or self.instance)
            # Each field also carries the value the user was shown, so `has_changed()`
            # means "the user changed it", not "it differs from the database": a row
            # someone else changed meanwhile but this user left alone is neither refused
            # nor saved back over their change.
            for name, field in self.fields.items():
                if name != "edit_token":
                    field.show_hidden_initial = True

    @cached_property
    def changed_data(self):
        # The fingerprint differs whenever someone else saved: not a change by this user.
        return [name for name in super().changed_data if name != "edit_token"]

    def writes(self):
        """Whether saving this form writes: an unchanged form writes nothing (so it cannot
        overwrite anyone's edit), but restoring an earlier version always writes."""
        return self.token_base is not None or self.has_changed()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and self.writes():
            # self.instance was loaded for this request: it is what is saved now.
            saved = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
            if saved is None or cleaned.get("edit_token") != edit_token(saved):
                raise ValidationError(STALE_MESSAGE, code="stale")
        return cleaned


class ConcurrencyAdminMixin:
    """Use in a ModelAdmin: edits made on a stale page are refused, restoring an earlier
    version (with django-simple-history's admin) included."""

    form = ConcurrencyModelForm

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request.concurrency_base = self.get_object(request, unquote(object_id))
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        base = getattr(request, "concurrency_base", None)
        if base is not None:
            form = type(form.__name__, (form,), {"token_base": base})
        return form


class ConcurrencyInlineMixin:
    """Use in an InlineModelAdmin: each row carries its fingerprint, and a changed row
    that someone else saved in the meantime refuses the whole save."""

    form = ConcurrencyModelForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if "edit_token" in fields else [*fields, "edit_token"]

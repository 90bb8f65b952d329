"""Optimistic concurrency for admin edits: a later save of an object that someone else
saved in the meantime is refused, and the form keeps what the user typed."""

import hashlib
import json

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["edit_token"].initial = edit_token(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # self.instance was loaded for this request: it is what is saved now.
            saved = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
            if saved is None or cleaned.get("edit_token") != edit_token(saved):
                raise ValidationError(STALE_MESSAGE, code="stale")
        return cleaned


class ConcurrencyAdminMixin:
    """Use in a ModelAdmin: edits made on a stale page are refused."""

    form = ConcurrencyModelForm

"""
Change history for ladder data: every create, change and delete of a ladder row is kept
as a version, with who made it (the signed-in user, taken from the request) and why (a
reason: the one HR typed in the admin's "why" box, or the one the code making bulk
changes sets, e.g. "Imported from pm.yaml").

Single saves and deletes are recorded by signals. Bulk writes skip signals, so every bulk
write to ladder data goes through `bulk_create` and `bulk_update` here, and `.update()` is
not used on ladder models.
"""

import types
from contextlib import contextmanager
from contextvars import ContextVar

from django import forms
from django.db import models
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

_reason = ContextVar("ladder_change_reason", default=None)

# The longest reason a person may type in a "why" box (a longer one is a form error).
REASON_MAX_LENGTH = 500
# The longest reason kept: a typed one with what the code puts around it ("Reverted to
# the version of ...: "). Longer reasons made by code are cut to fit.
STORED_REASON_MAX_LENGTH = 600


class LadderHistory(HistoricalRecords):
    """Historical records whose change reason defaults to the one set by `reason()`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "history_change_reason_field",
            models.CharField(max_length=STORED_REASON_MAX_LENGTH, null=True),
        )
        super().__init__(*args, **kwargs)

    def get_change_reason_for_object(self, instance, history_type, using):
        return super().get_change_reason_for_object(instance, history_type, using) or current()


@contextmanager
def reason(text):
    """Record `text` as the reason of every change made inside the block (none for an
    empty `text`)."""
    token = _reason.set(text[:STORED_REASON_MAX_LENGTH] if text else None)
    try:
        yield
    finally:
        _reason.reset(token)


def current():
    return _reason.get()


@contextmanager
def acting_as(user):
    """Record `user` as the author of every change made inside the block, as a request of
    theirs would: for work they asked for that runs outside a request (a task)."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = types.SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def reason_field(label="Why is this changing? (optional)"):
    """The optional "why" box of an admin change form."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80, "class": "vLargeTextField"}),
        help_text="Kept in the history with the change, so whoever reads it later knows why.",
    )


def when(moment):
    """A version's time as the admin shows it: '3 Mar 2026, 14:05' (local time)."""
    return date_filter(timezone.localtime(moment), "j M Y, H:i")


def revert_reason(version, why=""):
    """The reason recorded for making `version` current again, with the user's `why`."""
    text = f"Reverted to the version of {when(version.history_date)}"
    return f"{text}: {why}" if why else text


def restore(version, *, by, why=""):
    """Make `version` (a historical record) the object's current state: every field as the
    version stored it, checked by the model's own rules first (a `ValidationError` if they
    now refuse it, e.g. a name another row took since). Recorded as a revert by `by`."""
    obj = version.instance
    obj._state.adding = False
    kept = [obj._meta.get_field(name).attname for name in kept_on_revert(type(obj))]
    if kept:  # as they are now: they change through their own actions only
        now = type(obj)._default_manager.filter(pk=obj.pk).values(*kept).first() or {}
        for attname, value in now.items():
            setattr(obj, attname, value)
    obj.full_clean()
    obj._history_user = by
    with reason(revert_reason(version, why)):
        obj.save()
    return obj


def kept_on_revert(model):
    """The fields of `model` that a revert leaves as they are (`KEPT_ON_REVERT`), such as a
    ladder's status, which changes only by publishing, retiring or replacing."""
    return tuple(getattr(model, "KEPT_ON_REVERT", ()))


def bulk_create(model, objs):
    """`model.objects.bulk_create(objs)`, recording a version of each new row."""
    return bulk_create_with_history(list(objs), model, default_change_reason=current())


def bulk_update(model, objs, fields):
    """`model.objects.bulk_update(objs, fields)`, recording a version of each row."""
    objs = list(objs)
    if objs:
        bulk_update_with_history(objs, model, fields, default_change_reason=current())
    return len(objs)


def made_by(user, nobody="the system"):
    """How a change's author is named: full name, else username; `nobody` for none."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()

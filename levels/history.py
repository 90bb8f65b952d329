"""
Change history for ladder data: every create, change and delete of a ladder row is kept
as a version, with who made it (the signed-in user, taken from the request) and why (a
reason that the code making bulk changes sets, e.g. "Imported from pm.yaml").

Single saves and deletes are recorded by signals. Bulk writes skip signals, so every bulk
write to ladder data goes through `bulk_create` and `bulk_update` here, and `.update()` is
not used on ladder models.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

_reason = ContextVar("ladder_change_reason", default=None)

REASON_MAX_LENGTH = 100


class LadderHistory(HistoricalRecords):
    """Historical records whose change reason defaults to the one set by `reason()`."""

    def get_change_reason_for_object(self, instance, history_type, using):
        return super().get_change_reason_for_object(instance, history_type, using) or current()


@contextmanager
def reason(text):
    """Record `text` as the reason of every change made inside the block."""
    token = _reason.set(text[:REASON_MAX_LENGTH])
    try:
        yield
    finally:
        _reason.reset(token)


def current():
    return _reason.get()


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

"""
What pages keep for a short while rather than count at every visit, and the one rule that
says when a kept value is too old for someone: it was counted before they last changed
something. So what a person did themselves always shows on their next page, and what
others did shows once the value runs out.

Kept values live in a table of the database (`CACHES["kept"]`, which `migrate` creates),
so every app server reads the same ones: a change made through one server is seen by the
next page, whichever server draws it. `remember_changes` (middleware) notes when each
signed-in person last sent a request that may change something.
"""

import time

from django.core.cache import caches

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A change is remembered as long as anything kept could be older than it.
CHANGE_SECONDS = 24 * 60 * 60


def cache():
    return caches["kept"]


def _changed_key(user):
    return f"changed:{user.pk}"


def read(key, user):
    """(the value kept under `key`, when it was kept) or (None, None) when nothing is
    kept there or it was kept before `user` last changed something. One query."""
    changed_key = _changed_key(user)
    found = cache().get_many([key, changed_key])
    kept = found.get(key)
    if not isinstance(kept, tuple) or len(kept) != 2:
        return None, None
    value, at = kept
    if at < found.get(changed_key, 0):
        return None, None
    return value, at


def keep(key, value, seconds):
    """Keep `value` under `key` for `seconds`, noted as kept now; return that time."""
    at = time.time()
    cache().set(key, (value, at), seconds)
    return at


def forget(key):
    cache().delete(key)


def forget_everything():
    """Drop everything kept: after erasing someone, whose name kept markup may hold."""
    cache().clear()


def remember_changes(get_response):
    """Middleware: note when a signed-in person's request that may change something (any
    method but GET, HEAD and OPTIONS) ends, whatever it answered: anything kept before
    then is counted again for them (`read`)."""

    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if request.method in WRITES and user is not None and user.is_authenticated:
            cache().set(_changed_key(user), time.time(), CHANGE_SECONDS)
        return response

    return middleware

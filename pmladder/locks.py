"""
Named locks that serialise writers which must not interleave: changes to the reporting
lines (so two simultaneous manager changes cannot close a loop between them), imports of
one people file or one ladder, and anything else that checks the database and then writes
on the strength of that check.

`serialised(name)` must be called inside `transaction.atomic()`. On PostgreSQL it takes a
transaction-level advisory lock (`pg_advisory_xact_lock`), released when the transaction
ends; a second writer waits for the first to commit and then sees its rows. On SQLite every
transaction starts IMMEDIATE (see `DATABASES` in settings), so a writer holds the
database's write lock from its first statement and writers are serialised already.
"""

import hashlib

from django.db import connection, transaction

# The lock names in use, so that unrelated work never shares a lock by accident.
REPORTING_LINES = "reporting-lines"
PEOPLE_IMPORT = "people-import"
LADDER_IMPORT = "ladder-import"


def _key(name):
    """A stable signed 64-bit number for `name` (advisory locks are keyed by bigint)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def serialised(name):
    """Wait until no other transaction holds the lock `name`, then hold it until this
    transaction ends. Raises if called outside a transaction, where it would protect
    nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"serialised({name!r}) must be called inside transaction.atomic().")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(name)])

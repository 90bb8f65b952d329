"""Running work at the same moment, for the tests of simultaneous writers: each call in a
thread of its own (so on a database connection of its own), all released together."""

import threading

import pytest
from django.db import connection, connections

# Simultaneous writers need a server database: on SQLite every transaction takes the
# database's write lock as it starts, so writers cannot interleave there.
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time",
)


def at_once(*calls):
    """Run `calls` together; return, for each, what it returned or the exception it
    raised."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            start.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # reported to the test
            results[index] = error
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results

"""
Database settings with bounded waits: a database that is down, or up but not answering,
makes a request fail within seconds (and the page answer 503) instead of holding a worker
for as long as the operating system keeps trying.

- `connect_timeout`: seconds to wait for a new connection (PostgreSQL's `connect_timeout`).
- `statement_timeout`: seconds one statement may run, waits for locks included
  (PostgreSQL's `statement_timeout`; SQLite's busy timeout, its wait for the write lock).
  0 leaves the driver's own default (no limit on PostgreSQL, 5 seconds on SQLite).
- `prepared_statements` (PostgreSQL): send parameters apart from the SQL and let the
  server keep each statement's plan once a connection has run it twice. Planning the
  joins of a page's queries costs more than running them (about 0.5 ms against 0.1 ms
  for a person with their ladder, level, track and manager), so pages get faster on
  connections that are kept (`conn_max_age`). A pooler that hands each transaction a
  different connection (PgBouncer in transaction mode before 1.21) cannot keep them:
  turn this off there. After five runs the server may keep one plan for every value of
  the parameters, which is wrong where the value decides the plan. So the reporting
  tree's bounds and the pending status are written into the SQL (`Within` and `Literal`
  in `assessments.models`), and searches (the admin's lists, the team page, the
  rounds' people lookup) run unprepared (`planned_for_their_values`).
- PostgreSQL's just-in-time compilation is off: the app's queries are short, and
  compiling one with large expressions (the readiness of a whole organisation) took longer
  than running it (0.7 s of 0.8 s).

Values given in DATABASE_URL's query string (`?connect_timeout=10`) win.
"""

import sqlite3
from contextlib import contextmanager

import dj_database_url
from django.db import InterfaceError, OperationalError

# Runs of a statement on a connection before the server keeps its plan: queries a page
# runs once in a while are not worth keeping.
PREPARE_THRESHOLD = 2


def database_settings(
    url, *, conn_max_age, connect_timeout, statement_timeout, prepared_statements=False
):
    """The `DATABASES["default"]` entry for `url`, with the timeouts applied."""
    config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"].endswith("postgresql"):
        if connect_timeout > 0:
            options.setdefault("connect_timeout", connect_timeout)
        if statement_timeout > 0 and "statement_timeout" not in options.get("options", ""):
            limit = f"-c statement_timeout={statement_timeout * 1000}"
            options["options"] = f"{options.get('options', '')} {limit}".strip()
        if "jit=" not in options.get("options", ""):
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        if prepared_statements:
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", PREPARE_THRESHOLD)
    elif config["ENGINE"].endswith("sqlite3") and statement_timeout > 0:
        options.setdefault("timeout", statement_timeout)
    return config


@contextmanager
def planned_for_their_values(using="default"):
    """Statements run inside are planned for the values they are run with, every time,
    rather than from the plan a connection keeps for a statement it runs often (made for
    any value of its parameters; see `prepared_statements`). For queries whose best plan
    depends on their values: a search for what someone typed matches a few rows or most
    of a table, and a plan kept for any word read all the reviews for a common one (the
    admin's review search: 32 ms instead of 20 at 10,000 people)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        if connection.connection is raw:  # not closed and opened again meanwhile
            raw.prepare_threshold = before


# What an error says about the database: unreachable, shutting down or too slow (the page
# answers 503, "try again shortly"), or a mistake in a query or a schema behind the code (a
# bug: the page answers 500). By SQL state on PostgreSQL: connection exceptions (08),
# insufficient resources (53), operator intervention (57: statement timeout, shutdown) and
# lock not available (55P03).
_UNAVAILABLE_STATE_CLASSES = ("08", "53", "57")
_UNAVAILABLE_STATES = ("55P03",)
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")


def is_unavailable(error):
    """Whether a database `error` means the database cannot answer right now, rather than
    that the code asked it something wrong."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    state = getattr(cause, "sqlstate", None)
    if state:
        return state[:2] in _UNAVAILABLE_STATE_CLASSES or state in _UNAVAILABLE_STATES
    if isinstance(cause, sqlite3.Error):
        return any(text in str(cause).lower() for text in _SQLITE_UNAVAILABLE)
    return True  # no SQL state: the connection itself failed

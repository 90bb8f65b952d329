"""The plan PostgreSQL keeps for a statement a connection runs often: prepared once, then
planned for any value of its parameters (`pmladder.database`). Tests ask it whether such
a plan still uses an index."""

import re

import pytest
from django.db import connection


def kept_plan(queryset, *, off=("seqscan",)):
    """The plan PostgreSQL keeps for `queryset` run as a prepared statement, made for any
    value of its parameters, with the plan nodes `off` turned off (the test tables are so
    small that a plan would read them whole otherwise). Skips the test on other
    databases."""
    if connection.vendor != "postgresql":
        pytest.skip("kept plans are PostgreSQL's")
    sql, params = queryset.query.sql_with_params()
    numbers = iter(range(1, len(params) + 1))
    statement = re.sub(r"%s", lambda _: f"${next(numbers)}", sql)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        for node in off:
            cursor.execute(f"SET LOCAL enable_{node} = off")
        cursor.execute(f"PREPARE kept_plan_test AS {statement}")
        try:
            quote = connection.schema_editor().quote_value
            arguments = f"({', '.join(quote(param) for param in params)})" if params else ""
            cursor.execute(f"EXPLAIN EXECUTE kept_plan_test{arguments}")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE kept_plan_test")


def kept_statements(pattern):
    """How many statements this connection keeps prepared whose SQL is `LIKE pattern`.
    Skips the test where none are kept (other databases, or prepared statements off)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        pytest.skip("prepared statements are turned off for this run")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [pattern]
        )
        return cursor.fetchone()[0]

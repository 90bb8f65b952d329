"""A database that is down or hangs: bounded waits, a 503 page, one log line per failure."""

import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connection,
)
from django.db.utils import ConnectionHandler
from django.test import Client
from django.urls import reverse

from pmladder.database import database_settings, is_unavailable

ROOT = Path(__file__).resolve().parent.parent


def settings_for(url, **timeouts):
    return database_settings(
        url, conn_max_age=0, **{"connect_timeout": 5, "statement_timeout": 15} | timeouts
    )


# Settings -----------------------------------------------------------------------------------


def test_postgresql_connections_get_both_timeouts():
    options = settings_for("postgres://ladder@db.example.com/ladder")["OPTIONS"]

    assert options["connect_timeout"] == 5
    assert options["options"] == "-c statement_timeout=15000 -c jit=off"


def test_timeouts_are_added_to_options_from_the_address():
    url = "postgres://ladder@db.example.com/ladder?connect_timeout=9&options=-c%20search_path%3Dx"

    options = settings_for(url)["OPTIONS"]

    assert options["connect_timeout"] == 9  # the address wins
    assert options["options"] == "-c search_path=x -c statement_timeout=15000 -c jit=off"


def test_jit_stays_as_the_address_sets_it():
    url = "postgres://ladder@db.example.com/ladder?options=-c%20jit%3Don"

    assert settings_for(url)["OPTIONS"]["options"] == "-c jit=on -c statement_timeout=15000"


def test_zero_turns_the_postgresql_timeouts_off():
    options = settings_for(
        "postgres://ladder@db.example.com/ladder", connect_timeout=0, statement_timeout=0
    )["OPTIONS"]

    assert options == {"options": "-c jit=off"}


def test_prepared_statements_bind_parameters_on_the_server_and_keep_plans():
    options = settings_for("postgres://ladder@db.example.com/ladder", prepared_statements=True)[
        "OPTIONS"
    ]

    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 2


def test_without_prepared_statements_nothing_is_kept_on_the_server():
    options = settings_for("postgres://ladder@db.example.com/ladder")["OPTIONS"]

    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_sqlite_has_no_prepared_statements_option():
    options = settings_for("sqlite:///ladder.sqlite3", prepared_statements=True)["OPTIONS"]

    assert options == {"timeout": 15}


@pytest.mark.django_db
def test_a_statement_run_again_on_a_kept_connection_runs_from_its_kept_plan():
    """What the setting is for, on the database the suite runs on: the third run of a
    query finds it prepared on the server (unless DB_PREPARED_STATEMENTS=0)."""
    from django.db import connection

    from levels.models import Ladder

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        pytest.skip("turned off for this run")
    for _ in range(3):
        Ladder.objects.filter(slug="kept-plan").exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%"levels_ladder"."slug" = $_ LIMIT 1'],
        )
        (kept,) = cursor.fetchone()

    assert kept == 1


def test_sqlite_waits_for_its_write_lock_at_most_the_statement_timeout():
    assert settings_for("sqlite:///ladder.sqlite3")["OPTIONS"] == {"timeout": 15}


def test_manage_py_commands_other_than_runserver_have_no_statement_timeout():
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT,
        env=env | {"DEBUG": "1", "DATABASE_URL": "postgres://ladder@127.0.0.1:1/ladder"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "'connect_timeout': 5" in result.stdout
    assert "statement_timeout" not in result.stdout


# The connect timeout, against a server that accepts connections and never answers -------------


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for peer in accepted:
        peer.close()
    server.close()


def test_a_database_that_never_answers_fails_instead_of_hanging(silent_server, django_db_blocker):
    url = f"postgres://ladder@127.0.0.1:{silent_server}/ladder"
    databases = ConnectionHandler({"default": settings_for(url, connect_timeout=1)})
    outcome = []

    def connect():
        try:
            databases["default"].ensure_connection()
        except Exception as error:
            outcome.append(error)

    attempt = threading.Thread(target=connect, daemon=True)
    with django_db_blocker.unblock():  # a connection of its own, not the test database
        attempt.start()
        attempt.join(timeout=30)  # a generous bound: without a connect timeout it never returns

    assert not attempt.is_alive(), "the connection attempt is still waiting"
    assert isinstance(outcome[0], OperationalError)


@pytest.mark.django_db
def test_postgresql_statements_are_limited_by_the_statement_timeout():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")

    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "15s"


# Pages while the database is unavailable ----------------------------------------------------


def failing_with(error_class):
    def fail(execute, sql, params, many, context):
        raise error_class("server closed the connection unexpectedly")

    return fail


@pytest.fixture
def browser(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
def test_pages_answer_503_while_the_database_is_unavailable(browser, error_class):
    with connection.execute_wrapper(failing_with(error_class)):
        response = browser.get(reverse("levels:ladders"))

    assert response.status_code == 503
    assert b"PM Ladder is temporarily unavailable" in response.content
    assert response["Retry-After"] == "30"


@pytest.mark.django_db
def test_a_view_whose_queries_fail_answers_503(db):
    client = Client(raise_request_exception=False)

    with connection.execute_wrapper(failing_with(OperationalError)):
        response = client.post(reverse("password_reset"), {"email": "someone@example.com"})

    assert response.status_code == 503
    assert b"PM Ladder is temporarily unavailable" in response.content


@pytest.mark.django_db
def test_an_unavailable_database_is_logged_in_one_line(browser, caplog):
    with connection.execute_wrapper(failing_with(OperationalError)):
        browser.get(reverse("levels:ladders"))

    (line,) = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert line.getMessage() == (
        "Database unavailable for GET /ladders/: server closed the connection unexpectedly"
    )
    assert line.exc_info is None


@pytest.mark.django_db
def test_other_database_errors_are_still_server_errors(browser):
    with connection.execute_wrapper(failing_with(ProgrammingError)):
        response = browser.get(reverse("levels:ladders"))

    assert response.status_code == 500
    assert b"Something went wrong" in response.content


@pytest.mark.django_db
def test_a_schema_behind_the_code_is_a_server_error_not_an_outage(browser):
    """SQLite reports a missing column as an OperationalError too: that is a bug to fix
    (say, a migration not run), not a database to wait for."""

    def missing_column(execute, sql, params, many, context):
        try:
            raise sqlite3.OperationalError("no such column: levels_ladder.ready_coverage")
        except sqlite3.OperationalError as error:
            raise OperationalError(*error.args) from error

    with connection.execute_wrapper(missing_column):
        response = browser.get(reverse("levels:ladders"))

    assert response.status_code == 500


@pytest.mark.parametrize(
    ("state", "unavailable"),
    [("57014", True), ("57P01", True), ("08006", True), ("55P03", True), ("42703", False)],
)
def test_postgresql_errors_are_told_apart_by_their_sql_state(state, unavailable):
    error = OperationalError("from the server")
    error.__cause__ = type("PGError", (Exception,), {"sqlstate": state})("from the server")

    assert is_unavailable(error) is unavailable


# The health check ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_health_check_is_logged_in_one_line_without_a_traceback(
    client, monkeypatch, caplog
):
    def broken_cursor(*args, **kwargs):
        raise OperationalError(
            'connection failed: Connection refused\n\tIs the server running on "db"?'
        )

    monkeypatch.setattr("pmladder.views.connection.cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    (line,) = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert line.getMessage() == (
        "Health check failed: the database did not answer: connection failed: "
        'Connection refused Is the server running on "db"?'
    )
    assert line.exc_info is None

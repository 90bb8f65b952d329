"""Project-wide behaviour: sign-in, health check, security settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_signing_in(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("pmladder.views.connection.cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503


def test_sign_in_and_out(client, user):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'for="id_username"' in page.content  # labelled fields

    response = client.post(
        reverse("login"), {"username": "pat", "password": "a-long-test-password"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("levels:ladders")
    assert response.context["user"].is_authenticated

    response = client.post(reverse("logout"), follow=True)
    assert not response.context["user"].is_authenticated


def test_wrong_password_is_refused_with_a_message(client, user):
    response = client.post(reverse("login"), {"username": "pat", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="pat"' in response.content  # what was typed is kept


def test_pages_send_a_strict_content_security_policy(client):
    response = client.get(reverse("login"))

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_admin_sign_in_page_works_under_the_policy(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers


def _manage(*args, **env):
    unset = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789abc",
    "ALLOWED_HOSTS": "ladder.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://ladder.example.com",
    "DATABASE_URL": "postgres://ladder@db.example.com:5432/ladder",
    "EMAIL_HOST": "smtp.example.com",
}


def test_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_key_is_required_when_debug_is_off():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    result = _manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_bad_boolean_setting_fails_fast():
    result = _manage("check", **{**PRODUCTION, "DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DEBUG must be a yes/no value" in result.stderr


def test_seed_demo_refuses_to_run_in_production():
    result = _manage("seed_demo", **PRODUCTION)

    assert result.returncode != 0
    assert "runs only with DEBUG=1" in result.stderr


def test_favicon_ico_points_at_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response.url.endswith("img/favicon.svg")


def test_signing_out_says_so(client, user):
    client.force_login(user)

    response = client.post(reverse("logout"), follow=True)

    assert b"You have signed out." in response.content


def test_console_email_keeps_long_links_whole():
    import io

    from django.core.mail import EmailMessage

    from pmladder.mail import ReadableConsoleBackend

    link = "http://127.0.0.1:8000/accounts/reset/MTQ/" + "x" * 60 + "/"
    stream = io.StringIO()
    ReadableConsoleBackend(stream=stream).send_messages(
        [EmailMessage("Set your password", f"Open:\n{link}\n", "a@example.com", ["b@example.com"])]
    )

    assert link in stream.getvalue()
    assert "To: b@example.com" in stream.getvalue()


def test_refusals_are_logged_once_and_client_errors_without_tracebacks():
    import logging

    from pmladder.logging import OneLinePerRefusal

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        exc_info = sys.exc_info()

    def record(name, level, status):
        entry = logging.LogRecord(name, level, "", 0, "message", (), exc_info)
        entry.status_code = status
        return entry

    django_refusal = record("django.request", logging.WARNING, 404)
    suspicious = record("django.security.DisallowedHost", logging.ERROR, 400)
    crash = record("django.request", logging.ERROR, 500)

    assert not OneLinePerRefusal().filter(django_refusal)  # the refusal log has it
    assert OneLinePerRefusal().filter(suspicious)
    assert suspicious.exc_info is None
    assert OneLinePerRefusal().filter(crash)
    assert crash.exc_info is not None


def test_offline_commands_run_without_a_secret_key():
    """`manage.py makemigrations --check` works in a fresh checkout with no settings."""
    result = _manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr


def test_other_commands_still_need_a_secret_key():
    result = _manage("check")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_without_email_settings_production_refuses_to_start():
    """Emails printed to the console would put live password-reset links in the logs."""
    env = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"}

    result = _manage("check", **env)

    assert result.returncode != 0
    assert "EMAIL_HOST must be set when DEBUG is off" in result.stderr


def test_printing_emails_in_production_must_be_chosen_and_the_deploy_check_warns():
    env = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"}
    env["EMAIL_BACKEND"] = "pmladder.mail.ReadableConsoleBackend"

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert "pmladder.W001" in result.stderr
    assert "password-reset links end up in the logs" in result.stderr


def test_offline_commands_run_without_email_settings():
    env = {k: v for k, v in PRODUCTION.items() if k not in {"EMAIL_HOST", "SECRET_KEY"}}

    result = _manage("collectstatic", "--dry-run", "--no-input", **env)

    assert result.returncode == 0, result.stdout + result.stderr

"""The load test's own parts (`make load`): the simulated people send the app's forms as a
browser would, the check after a run finds every confirmed write missing from the
database, and the gunicorn settings follow the environment. (The load itself is measured
by `make load`, never in the tests.)"""

import importlib.util
import json
import runpy
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import evidence as evidence_services
from assessments import reviews
from assessments.models import Evidence, Review

ROOT = Path(__file__).resolve().parent.parent


def _module(path, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


browsing = _module("scripts/load/browsing.py", "load_browsing")
driver = _module("scripts/load.py", "load_driver")


# Forms, as a browser sends them ----------------------------------------------------------


def test_form_reader_sends_what_a_browser_would():
    page = """
    <form method="post" action="/out/"><input type="hidden" name="csrfmiddlewaretoken"
    value="t1"></form>
    <form method="post">
      <input type="hidden" name="csrfmiddlewaretoken" value="t2">
      <input type="text" name="title" value="A &amp; B">
      <input type="radio" name="kind" value="shows" checked>
      <input type="radio" name="kind" value="growth">
      <input type="checkbox" name="criteria" value="1">
      <input type="checkbox" name="criteria" value="2" checked>
      <select name="level"><option value="">Choose…</option>
        <optgroup label="IC"><option value="7">Seven</option>
        <option value="8" selected>Eight</option></optgroup></select>
      <select name="first"><option value="a">A</option><option value="b">B</option></select>
      <textarea name="note">
Line one</textarea>
      <input type="submit" name="go" value="Save">
      <button type="submit">Save</button>
    </form>
    """

    form = browsing.form_with(page, "note")

    assert form["fields"] == {
        "csrfmiddlewaretoken": "t2",
        "title": "A & B",
        "kind": "shows",
        "criteria": "2",
        "level": "8",
        "first": "a",  # nothing selected: the first option
        "note": "Line one",  # the newline after <textarea> is not part of the value
    }
    assert form["options"]["level"] == ["", "7", "8"]
    assert form["options"]["kind"] == ["shows", "growth"]
    assert browsing.form_with(page, "missing") is None


def test_sign_in_form_as_sent_signs_in_with_its_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login")).content.decode()

    form = browsing.form_with(page, "username")
    response = client.post(
        reverse("login"),
        {**form["fields"], "username": "report", "password": "a-long-test-password"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_evidence_form_as_sent_records_evidence(org, as_user):
    client = as_user(org.manager.user)
    url = reverse("assessments:evidence_new", kwargs={"pk": org.report.pk})
    form = browsing.form_with(client.get(url).content.decode(), "description")

    response = client.post(
        url,
        {
            **form["fields"],
            "expectation": next(value for value in form["options"]["expectation"] if value),
            "description": "Led the pricing review.",
        },
    )

    assert response.status_code == 302
    item = Evidence.objects.get(description="Led the pricing review.")
    # The page's defaults, sent as they stand: it shows the expectation, shared with them.
    assert (item.kind, item.visibility) == (Evidence.Kind.SHOWS, Evidence.Visibility.SHARED)


def test_review_form_as_sent_saves_the_draft(org, as_user):
    review = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    client = as_user(org.manager.user)
    url = reverse("assessments:review", kwargs={"pk": review.pk})
    form = browsing.form_with(client.get(url).content.decode(), "summary")
    data = dict(form["fields"])
    for name, options in form["options"].items():
        if name.startswith("rating_"):
            data[name] = next(value for value in options if value)
    data["summary"] = "Strong on discovery."

    response = client.post(url, data)

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.summary == "Strong on discovery."
    assert review.version == int(form["fields"]["version"]) + 1
    assert not review.ratings.filter(rating="").exists()


# Lost writes ---------------------------------------------------------------------------------


def _writes(tmp_path, *writes):
    path = tmp_path / "writes.jsonl"
    path.write_text("".join(json.dumps({"run": "think", **write}) + "\n" for write in writes))
    return path


def _evidence(org, description):
    return evidence_services.record_evidence(
        employee=org.report,
        expectation=org.report.level.expectations.first(),
        by=org.manager.user,
        observed_on=timezone.localdate(),
        description=description,
        link="",
        criteria=[],
        visibility=Evidence.Visibility.SHARED,
        kind=Evidence.Kind.SHOWS,
    )


def test_check_writes_finds_confirmed_writes_missing_from_the_database(org, tmp_path):
    _evidence(org, "load think manager evidence 1: kept")
    _evidence(org, "load think manager evidence 2: recorded by the manager")
    review = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    reviews.save_review(
        review=review,
        ratings={},
        readiness="",
        summary="load think manager review 1: saved",
        version=review.version,
        by=org.manager.user,
    )
    path = _writes(
        tmp_path,
        {"kind": "evidence", "token": "load think manager evidence 1"},
        {"kind": "evidence", "token": "load think manager evidence 3"},  # never written
        {"kind": "win", "token": "load think manager evidence 2"},  # not a win in the database
        {"kind": "review_start", "review": review.pk},
        {
            "kind": "review",
            "review": review.pk,
            "token": "load think manager review 1",
            "version": review.version,
        },
    )

    result = driver.check_writes("think", path)

    assert result["counts"] == {"evidence": 2, "win": 1, "review_start": 1, "review": 1}
    assert result["lost"] == [
        "evidence 'load think manager evidence 3'",
        "win 'load think manager evidence 2'",
    ]


def test_check_writes_finds_a_review_save_that_is_not_the_latest_in_the_database(org, tmp_path):
    review = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    reviews.save_review(
        review=review,
        ratings={},
        readiness="",
        summary="load think manager review 1: saved",
        version=review.version,
        by=org.manager.user,
    )
    saved = Review.objects.get(pk=review.pk)
    path = _writes(
        tmp_path,
        {
            "kind": "review",
            "review": review.pk,
            "token": "load think manager review 1",
            "version": review.version,
        },
        # A later save the app confirmed, which the database does not hold.
        {
            "kind": "review",
            "review": review.pk,
            "token": "load think manager review 2",
            "version": saved.version,
        },
        {"kind": "review_start", "review": review.pk + 1000},
    )

    result = driver.check_writes("think", path)

    assert result["lost"] == [
        f"review {review.pk + 1000} (started)",
        f"review {review.pk}: save 'load think manager review 2'",
    ]


def test_check_writes_accepts_a_later_save_confirmed_as_the_run_stopped(org, tmp_path):
    """The run stops an account between the app confirming its save and the account
    writing it down: the draft then holds that later save, which is no loss."""
    review = reviews.start_review(
        employee=org.report, target_level=org.report.level, by=org.manager.user
    )
    first = review.version
    for n in (1, 2):
        reviews.save_review(
            review=review,
            ratings={},
            readiness="",
            summary=f"load think manager review {n}: saved",
            version=Review.objects.get(pk=review.pk).version,
            by=org.manager.user,
        )
    recorded = {"kind": "review", "review": review.pk, "version": first}

    later = _writes(tmp_path, {**recorded, "token": "load think manager review 1"})
    assert driver.check_writes("think", later)["lost"] == []

    # Another account's token, or an earlier one of the same account, is a loss.
    for token in ("load think manager review 3", "load think other review 1"):
        path = _writes(tmp_path, {**recorded, "token": token})
        assert driver.check_writes("think", path)["lost"] == [f"review {review.pk}: save {token!r}"]


# Settings ------------------------------------------------------------------------------------


def test_load_database_is_never_the_apps_own():
    own = driver.Database.for_url("postgres://app@db:5432/pmladder")
    dedicated = driver.Database.for_url("postgres://app@db:5432/pmladder_load")

    assert own.url == "postgres://app@db:5432/pmladder_load"
    assert dedicated.url == "postgres://app@db:5432/pmladder_load"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"bind": "127.0.0.1:8000", "threads": 2, "keepalive": 0}),
        (
            {"GUNICORN_BIND": "0.0.0.0:9000", "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "6"},
            {"bind": "0.0.0.0:9000", "workers": 3, "threads": 6},
        ),
    ],
)
def test_gunicorn_config_follows_the_environment(monkeypatch, env, expected):
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_KEEPALIVE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert {name: config[name] for name in expected} == expected
    assert config["worker_class"] == "gthread"
    assert config["workers"] >= 2
    assert config["max_requests"] > 0
    assert config["max_requests_jitter"] > 0
    assert config["keepalive"] <= 5

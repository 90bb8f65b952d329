"""The README's API examples, run as written: every curl command of its "API" section is
read from the README itself and sent, with the test organisation's ids and addresses in
place of the demo's (and today as a level change's date, which may not be in the future
or before the current level's). An example whose address or body the API does not take
fails here."""

import json
import re
import shlex
from pathlib import Path

import pytest
from django.utils import timezone

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def api_section():
    text = README.read_text()
    start = text.index("\n## API\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def curl_commands():
    """Each curl command of the section as (method, path, body or None)."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", api_section(), re.S):
        words = shlex.split(block.replace("\\\n", " "), comments=True)
        starts = [index for index, word in enumerate(words) if word == "curl"]
        for start, end in zip(starts, [*starts[1:], len(words)], strict=True):
            command = words[start:end]
            method, body, url = "GET", None, None
            for index, word in enumerate(command):
                if word == "-X":
                    method = command[index + 1]
                elif word == "-d":
                    body = command[index + 1]
                elif word.startswith("http"):
                    url = word
            commands.append((method, re.sub(r"^https?://[^/]+", "", url), body))
    return commands


def test_the_readme_shows_reads_and_each_kind_of_write():
    methods = {
        (method, re.sub(r"/people/\d+/", "/people/<id>/", path))
        for method, path, _ in curl_commands()
    }

    assert ("GET", "/api/v1/me/") in methods
    assert ("POST", "/api/v1/people/bulk/") in methods
    assert ("PUT", "/api/v1/people/<id>/") in methods
    assert ("POST", "/api/v1/people/<id>/evidence/") in methods


def test_every_readme_example_works_as_written(org):
    expectation = org.report.level.expectations.first()
    criterion = org.ladder.promotion_criteria.first()
    hr = ApiClient(token_for(org.hr))
    manager = ApiClient(token_for(org.manager.user))
    for method, path, body in curl_commands():
        path = re.sub(r"/people/\d+/", f"/people/{org.report.pk}/", path)
        data = None
        if body is not None:
            # The README's body is JSON as it stands, with the demo's addresses.
            data = json.loads(body.replace("@demo.pm-ladder.test", "@example.com"))
            if "person" in data:
                data["person"]["effective_date"] = str(timezone.localdate())
            if "expectation" in data:
                data["expectation"] = expectation.pk
                data["criteria"] = [criterion.pk]
        caller = manager if path.endswith("/evidence/") else hr
        if method == "GET":
            response = caller.get(path)
        else:
            response = getattr(caller, method.lower())(path, data)

        assert response.status_code in (200, 201), (method, path, response.content)
        if path.endswith("/people/bulk/"):
            assert response.json()["dry_run"] is True
            assert response.json()["created"] == 1
        if method == "PUT":
            assert response.json()["person"]["level"] == "apm"
        if path.endswith("/evidence/") and method == "POST":
            assert response.json()["criteria"] == [criterion.name]

"""Ladders through the API: their structure, and their files exported and imported with
the rules of the admin's import (levels.ladderfile, levels.importplan)."""

import copy

import pytest
import yaml

from levels.models import Ladder

from .conftest import assert_error

pytestmark = pytest.mark.django_db

SLUG = "product-management"
FILE = f"/api/v1/ladders/{SLUG}/file/"


def test_a_ladder_comes_with_its_structure(org, api):
    response = api(org.report.user).get(f"/api/v1/ladders/{SLUG}/")

    assert response.status_code == 200
    ladder = response.json()
    assert ladder["status"] == "published"
    assert [c["key"] for c in ladder["categories"]][:1] == ["responsibilities"]
    levels = {level["key"]: level for level in ladder["levels"]}
    assert levels["pm"]["expectations"]
    first = levels["pm"]["expectations"][0]
    assert org.ladder.levels.get(key="pm").expectations.filter(pk=first["id"]).exists()
    tracks = {track["key"]: track["levels"] for track in ladder["tracks"]}
    assert tracks["ic"][:3] == ["apm", "pm", "senior-pm"]


def test_a_ladder_lists_its_promotion_criteria_with_the_ids_evidence_takes(org, api):
    """Evidence's `criteria` are ids: the ladder is where a script finds them."""
    criteria = api(org.manager.user).get(f"/api/v1/ladders/{SLUG}/").json()["promotion_criteria"]

    assert [c["name"] for c in criteria] == list(
        org.ladder.promotion_criteria.values_list("name", flat=True)
    )
    assert criteria, "the shipped ladder has promotion criteria"
    recorded = api(org.manager.user).post(
        f"/api/v1/people/{org.report.pk}/evidence/",
        {
            "expectation": org.report.level.expectations.first().pk,
            "observed_on": "2026-01-05",
            "description": "Tagged with the first criterion.",
            "criteria": [criteria[0]["id"]],
        },
    )
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["criteria"] == [criteria[0]["name"]]


def test_an_unknown_ladder_is_404(org, api):
    assert_error(api(org.hr).get("/api/v1/ladders/nope/"), 404, "not_found")


def test_the_exported_file_imports_back_unchanged(org, api):
    client = api(org.hr)
    exported = client.get(FILE).json()
    assert exported["ladder"]["slug"] == SLUG

    response = client.put(FILE, exported)

    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "no changes"
    assert response.json()["created"] is False


def _renamed(client, name="Product Managers"):
    data = client.get(FILE).json()
    data["levels"][1]["name"] = name
    return data


def test_a_dry_run_writes_nothing_and_its_fingerprint_applies_it(org, api):
    client = api(org.hr)
    data = _renamed(client)
    old_name = org.ladder.levels.get(key=data["levels"][1]["key"]).name

    preview = client.put(FILE + "?dry_run=true", yaml.safe_dump(data), "application/yaml")

    assert preview.status_code == 200, preview.content
    assert preview.json()["dry_run"] is True
    assert "levels: 1 changed" in preview.json()["summary"]
    assert org.ladder.levels.get(key=data["levels"][1]["key"]).name == old_name

    applied = client.put(FILE + f"?expected={preview.json()['fingerprint']}", data)

    assert applied.status_code == 200, applied.content
    assert org.ladder.levels.get(key=data["levels"][1]["key"]).name == "Product Managers"


def test_a_ladder_changed_since_the_dry_run_is_not_imported(org, api):
    client = api(org.hr)
    preview = client.put(FILE + "?dry_run=1", _renamed(client)).json()
    client.put(FILE, _renamed(client, "Someone else's edit"))

    response = client.put(FILE + f"?expected={preview['fingerprint']}", _renamed(client))

    assert_error(response, 409, "conflict")
    assert org.ladder.levels.filter(name="Someone else's edit").exists()


def test_hr_creates_a_new_ladder_as_a_draft(org, api):
    data = copy.deepcopy(api(org.hr).get(FILE).json())
    data["ladder"].update(slug="design", name="Design")

    response = api(org.hr).put("/api/v1/ladders/design/file/", data)

    assert response.status_code == 201, response.content
    assert response.json()["created"] is True
    assert Ladder.objects.get(slug="design").status == Ladder.Status.DRAFT
    assert_error(api(org.manager.user).get("/api/v1/ladders/design/"), 404)


def test_a_bad_file_is_refused_whole_with_every_problem(org, api):
    client = api(org.hr)
    data = client.get(FILE).json()
    data["levels"][0]["name"] = ""
    data["tracks"][0]["levels"].append("no-such-level")
    data["surprise"] = 1

    error = assert_error(client.put(FILE, data), 400, "invalid")

    assert len(error["fields"]["file"]) >= 3
    assert any("surprise" in problem for problem in error["fields"]["file"])


@pytest.mark.parametrize("body", [b"", b"{not json", b"- just\n- a list\n"])
def test_unreadable_files_are_refused(org, api, body):
    assert_error(api(org.hr).put(FILE, body, "application/yaml"), 400, "invalid")


def test_a_file_for_another_slug_is_refused(org, api):
    data = api(org.hr).get(FILE).json()
    data["ladder"]["slug"] = "other"

    error = assert_error(api(org.hr).put(FILE, data), 400)

    assert "other" in error["fields"]["file"][0]


@pytest.mark.parametrize("persona", ["report", "manager"])
def test_only_hr_imports_ladders(org, api, persona):
    client = api(getattr(org, persona).user)
    data = client.get(FILE).json()

    assert_error(client.put(FILE, data), 403, "permission_denied")
    data["ladder"]["slug"] = "new-one"
    assert_error(client.put("/api/v1/ladders/new-one/file/", data), 404)
    assert not Ladder.objects.filter(slug="new-one").exists()


def test_the_ladder_and_its_file_are_kept_until_the_ladder_changes(org, api):
    """Both are worked out once for each version of the ladder: read again, they cost no
    query of its parts; once any part changes, they say so at once."""
    import json

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(org.report.user)
    urls = [f"/api/v1/ladders/{SLUG}/", FILE]
    first = [client.get(url).json() for url in urls]

    with CaptureQueriesContext(connection) as again:
        assert [client.get(url).json() for url in urls] == first
    assert not [q for q in again.captured_queries if '"levels_expectation"' in q["sql"]]

    expectation = org.ladder.levels.get(key="pm").expectations.filter(is_active=True).first()
    expectation.text = "Writes the plan down, and changes it when the facts change."
    expectation.save()

    detail, file = (client.get(url).json() for url in urls)
    pm = next(level for level in detail["levels"] if level["key"] == "pm")
    assert expectation.text in [item["text"] for item in pm["expectations"]]
    assert expectation.text in json.dumps(file)
    assert expectation.text not in json.dumps(first)

    # The ladder's own row too.
    ladder = Ladder.objects.get(slug=SLUG)
    ladder.description = "How product managers grow here, level by level."
    ladder.save()
    detail, file = (client.get(url).json() for url in urls)
    assert detail["description"] == ladder.description
    assert ladder.description in json.dumps(file)

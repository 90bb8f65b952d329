"""Writing people through the API: the people import's own rules (assessments.peoplefile)
for one person and for many, all or nothing, idempotent, step-downs only when allowed."""

import datetime

import pytest
from django.utils import timezone

from assessments.models import Employee, LevelAssignment

from .conftest import assert_error

pytestmark = pytest.mark.django_db

BULK = "/api/v1/people/bulk/"
PEOPLE = "/api/v1/people/"


def record(email, name, level="pm", manager="", track="ic", **extra):
    return {
        "email": email,
        "full_name": name,
        "job_title": "PM",
        "manager_email": manager,
        "ladder": "product-management",
        "track": track,
        "level": level,
        "effective_date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        **extra,
    }


def new_team():
    return [
        record("lead@example.com", "Lea Lead", "pm-manager", track="management"),
        record("ann@example.com", "Ann Analyst", "apm", manager="lead@example.com"),
        record("bob@example.com", "Bob Builder", "pm", manager="lead@example.com"),
    ]


def test_hr_adds_many_people_with_their_managers(org, api):
    response = api(org.hr).post(BULK, {"records": new_team()})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "dry_run": False,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "invited": 0,
        "step_downs": [],
    }
    ann = Employee.objects.get(email="ann@example.com")
    assert ann.manager.email == "lead@example.com"
    assert ann.level.key == "apm"
    assert ann.assignments.count() == 1


def test_sending_the_same_records_again_changes_nothing(org, api):
    client = api(org.hr)
    client.post(BULK, {"records": new_team()})
    assignments = LevelAssignment.objects.count()

    response = client.post(BULK, {"records": new_team()})

    assert response.json()["created"] == 0
    assert response.json()["updated"] == 0
    assert response.json()["unchanged"] == 3
    assert LevelAssignment.objects.count() == assignments


def test_one_bad_record_writes_nothing_and_every_problem_is_listed(org, api):
    records = new_team()
    records[1]["level"] = "astronaut"
    records[2]["manager_email"] = "nobody@example.com"
    before = Employee.objects.count()

    response = api(org.hr).post(BULK, {"records": records})

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"records[1].level", "records[2].manager_email"}
    assert "astronaut" in error["fields"]["records[1].level"][0]
    assert Employee.objects.count() == before


def test_records_of_the_wrong_shape_are_listed_by_field(org, api):
    records = new_team()
    del records[0]["full_name"]
    records[2]["effective_date"] = "yesterday"

    response = api(org.hr).post(BULK, {"records": records})

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"records[0].full_name", "records[2].effective_date"}
    assert not Employee.objects.filter(email="lead@example.com").exists()


@pytest.mark.parametrize("body", [{}, {"records": []}, {"records": "everyone"}, []])
def test_a_bulk_request_without_records_is_refused(org, api, body):
    assert_error(api(org.hr).post(BULK, body), 400, "invalid")


def test_a_step_down_needs_the_flag(org, api):
    remi = record("report@example.com", "Remi Report", "apm", manager="manager@example.com")
    client = api(org.hr)

    refused = client.post(BULK, {"records": [remi]})

    error = assert_error(refused, 400, "invalid")
    assert "step down" in error["fields"]["records[0].level"][0]
    org.report.refresh_from_db()
    assert org.report.level.key == "pm"

    allowed = client.post(BULK, {"records": [remi], "allow_step_down": True})

    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["updated"] == 1
    org.report.refresh_from_db()
    assert org.report.level.key == "apm"


def test_a_dry_run_says_what_would_change_and_writes_nothing(org, api):
    remi = record("report@example.com", "Remi Report", "apm", manager="manager@example.com")

    response = api(org.hr).post(BULK, {"records": [*new_team(), remi], "dry_run": True})

    assert response.json() == {
        "dry_run": True,
        "created": 3,
        "updated": 1,
        "unchanged": 0,
        "invited": 0,
        "step_downs": ["report@example.com"],
    }
    assert not Employee.objects.filter(email="lead@example.com").exists()


@pytest.mark.parametrize("persona", ["report", "manager", "other_manager", "outsider"])
def test_only_hr_writes_people(org, api, persona):
    user = getattr(org, persona)
    user = getattr(user, "user", user)

    assert_error(api(user).post(BULK, {"records": new_team()}), 403, "permission_denied")
    assert_error(api(user).post(PEOPLE, {"person": new_team()[0]}), 403)
    assert not Employee.objects.filter(email="lead@example.com").exists()


def test_nobody_assigns_their_own_level_through_the_api(org, hr_on_ladder, api):
    """HR imports, but never changes their own level (the import's rule)."""
    promoted = record("hrpm@example.com", "Harriet People", "senior-pm", manager="boss@example.com")

    error = assert_error(api(hr_on_ladder.user).post(BULK, {"records": [promoted]}), 400)

    assert "records[0].level" in error["fields"]
    hr_on_ladder.refresh_from_db()
    assert hr_on_ladder.level.key == "pm"


def test_hr_adds_one_person(org, api):
    response = api(org.hr).post(
        PEOPLE, {"person": record("nia@example.com", "Nia New", manager="manager@example.com")}
    )

    assert response.status_code == 201, response.content
    person = response.json()["person"]
    assert person["email"] == "nia@example.com"
    assert person["manager_email"] == "manager@example.com"
    assert person["level"] == "pm"
    assert len(person["level_history"]) == 1


def test_adding_someone_who_exists_is_refused(org, api):
    response = api(org.hr).post(PEOPLE, {"person": record("REPORT@example.com", "Remi")})

    error = assert_error(response, 400, "invalid")
    assert "person.email" in error["fields"]


def test_hr_updates_a_person(org, api):
    url = f"/api/v1/people/{org.report.pk}/"
    body = record("report@example.com", "Remi Renamed", "senior-pm", manager="manager@example.com")
    del body["email"]

    response = api(org.hr).put(url, {"person": body})

    assert response.status_code == 200, response.content
    assert response.json()["updated"] == 1
    person = response.json()["person"]
    assert person["full_name"] == "Remi Renamed"
    assert person["level"] == "senior-pm"
    assert [entry["level"] for entry in person["level_history"]][:2] == ["senior-pm", "pm"]


def test_an_update_cannot_change_the_email(org, api):
    url = f"/api/v1/people/{org.report.pk}/"
    body = record("someone-else@example.com", "Remi", manager="manager@example.com")

    error = assert_error(api(org.hr).put(url, {"person": body}), 400, "invalid")
    assert "person.email" in error["fields"]


def test_an_update_with_a_problem_is_listed_under_person(org, api):
    url = f"/api/v1/people/{org.report.pk}/"
    body = record("report@example.com", "Remi", "nope", manager="manager@example.com")

    error = assert_error(api(org.hr).put(url, {"person": body}), 400, "invalid")
    assert "person[0].level" in error["fields"]

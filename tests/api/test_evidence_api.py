"""Evidence through the API: the evidence form's rules (assessments.evidence) for who
records what about whom."""

import datetime

import pytest
from django.utils import timezone

from assessments.models import Evidence

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def url(person):
    return f"/api/v1/people/{person.pk}/evidence/"


def body(org, **extra):
    return {
        "expectation": org.report.level.expectations.first().pk,
        "observed_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "description": "Shipped the onboarding revamp.",
        **extra,
    }


def test_a_manager_records_evidence_about_their_report(org, api):
    response = api(org.manager.user).post(url(org.report), body(org, visibility="private"))

    assert response.status_code == 201, response.content
    item = Evidence.objects.get()
    assert item.source == Evidence.Source.MANAGER
    assert item.visibility == Evidence.Visibility.PRIVATE
    assert item.status == Evidence.Status.CONFIRMED
    assert response.json()["id"] == item.pk
    assert response.json()["author"] == "Mina Manager"


def test_a_person_logs_their_own_win_which_waits_for_their_manager(org, api):
    response = api(org.report.user).post(url(org.report), body(org, visibility="private"))

    assert response.status_code == 201, response.content
    item = Evidence.objects.get()
    assert item.source == Evidence.Source.SELF
    assert item.visibility == Evidence.Visibility.SHARED  # wins are always shared
    assert item.status == Evidence.Status.PENDING


def test_hr_records_evidence_with_criteria_of_the_ladder(org, api):
    criterion = org.ladder.promotion_criteria.first()

    response = api(org.hr).post(url(org.report), body(org, criteria=[criterion.pk]))

    assert response.status_code == 201, response.content
    assert response.json()["criteria"] == [criterion.name]


@pytest.mark.parametrize("persona", ["other_manager", "teammate", "stranger"])
def test_people_who_may_not_see_someone_get_404(org, api, persona):
    user = getattr(org, persona).user

    assert_error(api(user).post(url(org.report), body(org)), 404, "not_found")
    assert_error(api(user).get(url(org.report)), 404)
    assert not Evidence.objects.exists()


def test_a_person_may_not_record_evidence_about_their_manager(org, api):
    assert_error(api(org.report.user).post(url(org.manager), body(org)), 404)


def test_an_outsider_sees_nobody(org, api):
    assert_error(api(org.outsider).post(url(org.report), body(org)), 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "  "}, "description"),
        ({"observed_on": "2999-01-01"}, "observed_on"),
        ({"observed_on": "not a date"}, "observed_on"),
        ({"expectation": 999999}, "expectation"),
        ({"kind": "gossip"}, "kind"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"criteria": [999999]}, "criteria"),
    ],
)
def test_bad_evidence_is_refused_by_field(org, api, change, field):
    response = api(org.manager.user).post(url(org.report), body(org, **change))

    error = assert_error(response, 400, "invalid")
    assert field in error["fields"]
    assert not Evidence.objects.exists()


def test_an_expectation_of_another_ladder_is_refused(org, api):
    from levels import services as ladders

    other = ladders.duplicate_ladder(ladder=org.ladder, slug="other", name="Other")
    foreign = other.levels.get(key="pm").expectations.first()

    response = api(org.manager.user).post(url(org.report), body(org, expectation=foreign.pk))

    assert "expectation" in assert_error(response, 400)["fields"]


def test_a_persons_evidence_list_hides_private_notes_from_them(org, api):
    api(org.manager.user).post(url(org.report), body(org, visibility="private"))
    api(org.manager.user).post(url(org.report), body(org, description="Shared note."))

    mine = api(org.report.user).get(url(org.report)).json()["results"]
    managers = api(org.manager.user).get(url(org.report)).json()["results"]

    assert [item["description"] for item in mine] == ["Shared note."]
    assert len(managers) == 2

"""The API's access sweep: every address of the API, requested with a token of each
persona (and with revoked, expired and no tokens), against one table drawn from the
pages' rules (tests/test_sweep.py): what someone may not see is 404, what they see but may
not do is 403, a bad or missing token is 401. Each request runs in a savepoint that is
rolled back, so every request sees the same organisation."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from api import services
from api.models import AccessToken
from assessments import evidence, reviews
from assessments.models import Evidence, Rating, Review
from levels import services as ladder_services

from ..test_sweep import url_patterns
from .conftest import ApiClient

pytestmark = pytest.mark.django_db

ROLES = ["hr", "manager", "person", "unrelated_manager", "peer", "revoked", "expired", "none"]


def row(hr, manager, person, unrelated, peer):
    """Outcomes for the five signed-in personas; a bad or missing token is always 401."""
    return (hr, manager, person, unrelated, peer, 401, 401, 401)


EVERYONE = row(200, 200, 200, 200, 200)
ABOUT_REMI = row(200, 200, 200, 404, 404)  # his own, his managers', HR's
PRIVATE_TO_MANAGERS = row(200, 200, 404, 404, 404)
AUTHOR_ONLY = row(404, 200, 404, 404, 404)  # a draft review: its author alone
HR_ONLY = row(200, 404, 404, 404, 404)

# (method, address name, what it is about) -> outcomes
EXPECTED = {
    ("get", "api:me", None): EVERYONE,
    ("get", "api:ladders", None): EVERYONE,
    ("get", "api:ladder", "ladder"): EVERYONE,
    ("get", "api:ladder", "draft_ladder"): HR_ONLY,
    ("get", "api:ladder_file", "ladder"): EVERYONE,
    ("get", "api:ladder_file", "draft_ladder"): HR_ONLY,
    ("get", "api:people", None): EVERYONE,
    ("get", "api:person", "remi"): ABOUT_REMI,
    ("get", "api:person_evidence", "remi"): ABOUT_REMI,
    ("get", "api:evidence", None): EVERYONE,
    ("get", "api:evidence_item", "win"): ABOUT_REMI,
    ("get", "api:evidence_item", "private_note"): PRIVATE_TO_MANAGERS,
    ("get", "api:reviews", None): EVERYONE,
    ("get", "api:review", "shared_review"): ABOUT_REMI,
    ("get", "api:review", "draft_review"): AUTHOR_ONLY,
    ("get", "api:schema", None): EVERYONE,
    ("get", "api:unknown", "unknown"): row(404, 404, 404, 404, 404),
    # Writes with an empty body: bad input (400) for whoever may write, else 403 or 404.
    ("post", "api:people", None): row(400, 403, 403, 403, 403),
    ("post", "api:people_bulk", None): row(400, 403, 403, 403, 403),
    ("put", "api:person", "remi"): row(400, 403, 403, 404, 404),
    ("post", "api:person_evidence", "remi"): row(400, 400, 400, 404, 404),  # his own win
    ("put", "api:ladder_file", "ladder"): row(400, 403, 403, 403, 403),
    ("put", "api:ladder_file", "draft_ladder"): row(400, 404, 404, 404, 404),
}


class ApiSweep:
    """The organisation of tests/conftest.py, a token of each persona, and the objects the
    addresses are about."""

    def __init__(self, org):
        today = timezone.localdate()
        users = {
            "hr": org.hr,
            "manager": org.manager.user,
            "person": org.report.user,
            "unrelated_manager": org.other_manager.user,
            "peer": org.teammate.user,
        }
        self.tokens = {
            role: services.create_token(user=user, name=role)[1] for role, user in users.items()
        }
        revoked, self.tokens["revoked"] = services.create_token(user=org.hr, name="revoked")
        services.revoke_token(token=revoked)
        expired, self.tokens["expired"] = services.create_token(user=org.hr, name="expired")
        AccessToken.objects.filter(pk=expired.pk).update(
            expires_on=today - datetime.timedelta(days=1)
        )
        self.tokens["none"] = None

        expectation = org.report.level.expectations.first()
        win = evidence.log_win(
            employee=org.report,
            expectation=expectation,
            by=org.report.user,
            observed_on=today,
            description="Ran the pricing launch.",
        )
        note = evidence.record_evidence(
            employee=org.report,
            expectation=expectation,
            by=org.manager.user,
            observed_on=today,
            description="A private note.",
            visibility=Evidence.Visibility.PRIVATE,
        )
        shared = reviews.start_review(
            employee=org.report, target_level=org.report.level, by=org.manager.user
        )
        reviews.save_review(
            review=shared,
            ratings={r.pk: (Rating.MEETS, "") for r in shared.ratings.all()},
            readiness=Review.Readiness.READY,
            summary="Solid.",
            version=1,
            by=org.manager.user,
        )
        reviews.share_review(review=shared, by=org.manager.user)
        next_level = org.ladder.levels.get(key="senior-pm")
        draft = reviews.start_review(
            employee=org.report, target_level=next_level, by=org.manager.user
        )
        draft_ladder = ladder_services.duplicate_ladder(
            ladder=org.ladder, slug="pm-draft", name="PM draft"
        )
        self.kwargs = {
            None: {},
            "ladder": {"slug": org.ladder.slug},
            "draft_ladder": {"slug": draft_ladder.slug},
            "remi": {"pk": org.report.pk},
            "win": {"pk": win.pk},
            "private_note": {"pk": note.pk},
            "shared_review": {"pk": shared.pk},
            "draft_review": {"pk": draft.pk},
            "unknown": {"rest": "no/such/thing/"},
        }

    def request(self, role, method, name, about):
        client = ApiClient(self.tokens[role])
        url = reverse(name, kwargs=self.kwargs[about])
        with transaction.atomic():
            response = getattr(client, method)(url, *([] if method == "get" else [{}]))
            transaction.set_rollback(True)
        if response.status_code >= 400:
            error = response.json()["error"]  # every refusal in the one shape
            assert error["status"] == response.status_code
        return response


def test_the_table_covers_every_api_address():
    api_names = {key for key, _, _ in url_patterns() if key.startswith("api:")}

    swept = {name for _, name, _ in EXPECTED}

    # The docs page is a page, swept in tests/test_sweep.py.
    assert api_names - {"api:docs"} == swept


@pytest.mark.parametrize("role", ROLES)
def test_api_sweep(org, role):
    sweep = ApiSweep(org)
    index = ROLES.index(role)

    seen = {key: sweep.request(role, *key).status_code for key in EXPECTED}

    wrong = {
        key: {"expected": EXPECTED[key][index], "got": got}
        for key, got in seen.items()
        if EXPECTED[key][index] != got
    }
    assert not wrong, wrong


# Who is in the lists ----------------------------------------------------------------------------


PEOPLE = {
    "hr": {"boss", "manager", "other", "report", "teammate", "stranger"},
    "manager": {"manager", "report", "teammate"},
    "person": {"report"},
    "unrelated_manager": {"other", "stranger"},
    "peer": {"teammate"},
}


@pytest.mark.parametrize("role", list(PEOPLE))
def test_people_lists_whom_the_pages_show(org, role):
    sweep = ApiSweep(org)

    results = sweep.request(role, "get", "api:people", None).json()["results"]

    assert {person["email"].split("@")[0] for person in results} == PEOPLE[role]


EVIDENCE = {
    "hr": {"Ran the pricing launch.", "A private note."},
    "manager": {"Ran the pricing launch.", "A private note."},
    "person": {"Ran the pricing launch."},
    "unrelated_manager": set(),
    "peer": set(),
}


@pytest.mark.parametrize("role", list(EVIDENCE))
def test_evidence_lists_what_the_pages_show(org, role):
    sweep = ApiSweep(org)

    results = sweep.request(role, "get", "api:evidence", None).json()["results"]

    assert {item["description"] for item in results} == EVIDENCE[role]


REVIEWS = {"hr": 1, "manager": 2, "person": 1, "unrelated_manager": 0, "peer": 0}


@pytest.mark.parametrize("role", list(REVIEWS))
def test_reviews_list_drafts_for_their_author_only(org, role):
    sweep = ApiSweep(org)

    results = sweep.request(role, "get", "api:reviews", None).json()["results"]

    assert len(results) == REVIEWS[role]
    assert all(r["status"] != "draft" for r in results) or role == "manager"


@pytest.mark.parametrize(("role", "drafts"), [("hr", True), ("manager", False), ("person", False)])
def test_ladders_list_drafts_for_hr_only(org, role, drafts):
    sweep = ApiSweep(org)

    results = sweep.request(role, "get", "api:ladders", None).json()["results"]

    assert ("pm-draft" in {ladder["slug"] for ladder in results}) is drafts

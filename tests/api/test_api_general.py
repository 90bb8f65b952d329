"""What every endpoint shares: the error shape, cursor pages, the rate limit, query
budgets that do not grow with the rows, and the schema and its documentation page."""

import base64
import datetime
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate

from api import services
from api.docs import SchemaView
from assessments import evidence, reviews
from assessments.models import Employee
from levels import services as ladder_services

from ..conftest import place
from ..test_sweep import url_patterns
from .conftest import ApiClient, assert_error, token_for

pytestmark = pytest.mark.django_db


# The error shape ----------------------------------------------------------------------------


def test_a_method_not_offered_is_405_in_the_error_shape(org, api):
    response = api(org.hr).put("/api/v1/me/", {})

    error = assert_error(response, 405, "method_not_allowed")
    assert "PUT" in error["message"]


def test_a_body_that_is_not_json_is_415_in_the_error_shape(org, api):
    response = api(org.hr).post("/api/v1/people/bulk/", "records=1", "text/plain")

    assert_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_400_in_the_error_shape(org, api):
    response = api(org.hr).post("/api/v1/people/bulk/", "{oops", "application/json")

    assert_error(response, 400)


def test_a_404_never_says_why(org, api):
    error = assert_error(api(org.other_manager.user).get(f"/api/v1/people/{org.report.pk}/"), 404)

    assert error == {"status": 404, "code": "not_found", "message": "Not found."}
    assert api(org.hr).get("/api/v1/people/999999/").json()["error"] == error


def test_unknown_addresses_under_the_api_are_404_in_the_error_shape(org, api):
    assert_error(api(org.hr).get("/api/v1/no/such/thing/"), 404, "not_found")
    assert_error(api(None).get("/api/v1/no/such/thing/"), 401, "not_authenticated")


def test_a_403_says_why(org, api):
    error = assert_error(api(org.manager.user).post("/api/v1/people/bulk/", {}), 403)

    assert error["message"] == "Only HR imports people."


def test_writes_with_the_sign_in_need_the_csrf_token(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.hr)

    response = client.post("/api/v1/people/bulk/", "{}", content_type="application/json")

    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert client.get("/api/v1/me/").status_code == 200


# Cursor pages -------------------------------------------------------------------------------


def test_lists_are_paged_by_cursor_in_a_stable_order(org, api):
    client = api(org.hr)
    seen = []
    url = "/api/v1/people/?page_size=4"
    pages = 0
    while url:
        page = client.get(url).json()
        seen += [person["id"] for person in page["results"]]
        url = page["next"]
        pages += 1

    assert pages == 2
    assert seen == sorted(Employee.objects.values_list("pk", flat=True))


def test_a_bad_cursor_is_404_in_the_error_shape(org, api):
    assert_error(api(org.hr).get("/api/v1/people/?cursor=bogus"), 404, "not_found")


@pytest.mark.parametrize("position", ["abc", "", "1.5", "²", "9" * 25, "-" + "9" * 20])
@pytest.mark.parametrize("url", ["/api/v1/people/", "/api/v1/evidence/", "/api/v1/ladders/"])
def test_a_readable_cursor_with_a_position_that_is_no_id_is_404_too(org, api, url, position):
    """A cursor is base64 of a query string anyone can write: a position that is not an
    id is refused like any other bad cursor, never a server error."""
    cursor = base64.b64encode(f"p={position}".encode()).decode()

    assert_error(api(org.hr).get(url, {"cursor": cursor}), 404, "not_found")


# The rate limit -----------------------------------------------------------------------------


def test_too_many_requests_are_429_per_token(org, settings):
    settings.API_RATE = "3/minute"
    first = ApiClient(token_for(org.report.user))
    for _ in range(3):
        assert first.get("/api/v1/me/").status_code == 200

    response = first.get("/api/v1/me/")

    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert "throttled" in error["message"].lower()
    # Another token (even of the same person) has its own count.
    assert ApiClient(token_for(org.report.user)).get("/api/v1/me/").status_code == 200


def test_the_sign_in_is_counted_per_user(org, settings, client):
    settings.API_RATE = "2/minute"
    client.force_login(org.report.user)
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]


# Query budgets ------------------------------------------------------------------------------


def _queries(client, url):
    client.get(url)  # the first request notes the token's use; later ones do not write it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


def _more_people(org, count, tag):
    for n in range(count):
        place(org.ladder, f"{tag}{n}", f"Extra Person{tag}{n}", "apm", manager=org.manager)


def _more_evidence(org, count, tag):
    expectation = org.report.level.expectations.first()
    for n in range(count):
        evidence.record_evidence(
            employee=org.report,
            expectation=expectation,
            by=org.manager.user,
            observed_on=timezone.localdate() - datetime.timedelta(days=1),
            description=f"Item {tag}{n}",
            visibility="shared",
        )


def _more_reviews(org, count, tag):
    for n in range(count):
        person = place(org.ladder, f"{tag}{n}", f"Rev Person{tag}{n}", "apm", manager=org.manager)
        reviews.start_review(employee=person, target_level=person.level, by=org.manager.user)


def _more_ladders(org, count, tag):
    for n in range(count):
        ladder_services.duplicate_ladder(ladder=org.ladder, slug=f"{tag}-{n}", name=f"{tag} {n}")


# The queries of a page, whatever its rows: the token (1); the throttle's count in the
# database cache (6: read, count the table, and in a savepoint read and update the entry);
# the caller's HR group (1); the caller's employee record (1, not for HR's ladders); the
# page's rows (1); and one for each relation loaded with them (people: their level
# history; evidence: its criteria; reviews and ladders: none).
@pytest.mark.parametrize(
    ("url", "grow", "budget"),
    [
        ("/api/v1/people/", _more_people, 11),
        ("/api/v1/evidence/", _more_evidence, 11),
        ("/api/v1/reviews/", _more_reviews, 10),
        ("/api/v1/ladders/", _more_ladders, 9),
    ],
)
def test_lists_take_the_same_queries_for_3_and_30_rows(
    org, url, grow, budget, django_assert_max_num_queries
):
    client = ApiClient(token_for(org.hr if url == "/api/v1/ladders/" else org.manager.user))
    grow(org, 3, "few")
    few, rows = _queries(client, url)
    grow(org, 27, "many")

    many, more_rows = _queries(client, url)

    assert more_rows == rows + 27
    assert many == few
    with django_assert_max_num_queries(budget):
        client.get(url)


# The schema and its page --------------------------------------------------------------------


def _route_as_path(route):
    path = "/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m[1] == "pk" else f"{{{m[1]}}}", route
    )
    return path


def test_the_schema_is_valid_and_covers_every_api_address(org, api):
    response = api(org.report.user).get("/api/v1/schema/")

    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)
    routes = {
        _route_as_path(route)
        for key, route, _ in url_patterns()
        if key.startswith("api:") and key not in {"api:schema", "api:docs", "api:unknown"}
    }
    assert routes == set(schema["paths"])
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert operation["summary"]
            assert "401" in operation["responses"]
    assert '"error"' in schema["info"]["description"]


def test_the_schema_is_built_once_and_served_the_same_to_everyone(org, api, monkeypatch):
    monkeypatch.setattr(SchemaView, "built", {})
    built = []
    get_schema = SchemaView.generator_class.get_schema

    def counted(generator, *args, **kwargs):
        built.append(kwargs.get("request"))
        return get_schema(generator, *args, **kwargs)

    monkeypatch.setattr(SchemaView.generator_class, "get_schema", counted)

    with CaptureQueriesContext(connection) as building:
        first = api(org.report.user).get("/api/v1/schema/")
    with CaptureQueriesContext(connection) as kept:
        second = api(org.hr).get("/api/v1/schema/")

    assert len(built) == 1
    assert built == [None]  # for no one in particular, as `manage.py spectacular` builds it
    assert len(building) == len(kept)  # no query on behalf of whoever asked first
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert set(json.loads(second.content)["paths"])


def test_the_schema_is_for_api_users_only(db):
    assert_error(ApiClient().get("/api/v1/schema/"), 401)


def test_the_schema_builds_without_a_warning(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    assert "openapi: 3" in (tmp_path / "schema.yaml").read_text()


def test_the_docs_page_uses_only_the_apps_own_files(org, client):
    client.force_login(org.report.user)

    page = client.get("/api/v1/docs/").content.decode()

    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "api/docs.js" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_a_token_made_by_the_service_is_usable_by_the_docs_scheme(org):
    _, text = services.create_token(user=org.report.user, name="docs")

    assert ApiClient(text).get("/api/v1/schema/").status_code == 200


def test_retry_after_is_sent_even_after_the_rate_was_lowered(org, settings):
    """More requests on record than the new, lower rate allows: the 429 still says when
    to come back."""
    settings.API_RATE = "5/minute"
    client = ApiClient(token_for(org.report.user))
    for _ in range(5):
        assert client.get("/api/v1/me/").status_code == 200
    settings.API_RATE = "2/minute"

    response = client.get("/api/v1/me/")

    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60

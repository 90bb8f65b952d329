"""The organisation view counts in the database: the same number of queries at 50 people
and at 5,000, for HR and for a manager; and its exports stream."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..factories import bulk_people

pytestmark = pytest.mark.django_db

ORG = reverse("insights:org")

# The queries of the page, for HR narrowing to a subtree (one fewer for a manager, whose
# own record is loaded once for the access rule and the navigation), for a view counted at
# each visit (`insights.kept`):
#   1 the session, 2 the user, 3 whether they are HR,
#   4 the person the subtree filter names (a manager: their own record),
#   5 the open promotion round they may see,
#   6 the view's kept figures (none: the view is counted at each visit),
#   7 every level, with its ladder (labels),
#   8 everyone in view and how many have no recent evidence,
#   9 headcount by level and track,
#   10 time in level per level, in buckets,
#   11-12 the people two years or more in level: the first 50 by id, each with how many in
#      all, then those 50 whole (`figures._cut`),
#   13 whose kept readiness is out of date (nobody's, once counted: `assessments.kept`),
#   14 the pipeline per next level, with how many in all and Ready but not nominated,
#   15-16 the people Ready or Getting close: the first 50 by id, then those 50 whole,
#   17 level changes per quarter and kind,
#   18 quiet reports per manager: the first 50 managers, with how many,
#   19-20 the quiet people: the first 50 by id, with how many, then those 50 whole,
#   21 managers per span bucket,
#   22 managers above the span threshold: the first 50, with how many,
#   23 people per layer of the tree,
#   24 the round's nominations in view, by decision,
#   25 (HR) their own employee record, for the navigation,
#   26 what waits for them, for the navigation,
#   27-29 the filters' choices: ladders, tracks, levels.
# A list with nobody in it costs the same two queries.
PAGE_QUERIES = 29
# A visit to a large view whose figures are kept: 1-5 and 25-29 above, and the kept figures.
KEPT_QUERIES = 11


def _grow(org, count, batch):
    """`count` more people: half under the manager, half under the other manager."""
    bulk_people(
        count,
        like=org.report,
        manager=lambda i: org.manager if i % 2 else org.other_manager,
        name=f"Person {batch}-{{i:04}}",
        email=f"person{batch}-{{i:04}}@example.com",
    )


def _count(client, user, params):
    client.force_login(user)
    # Caches the ladder's structure, as a running server has it, and counts the readiness
    # of people new since the last visit (in a task, which tests run at once).
    client.get(ORG, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ORG, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["hr", "manager"])
def test_the_page_makes_as_many_queries_at_5000_people_as_at_50(
    client, known, who, django_assert_max_num_queries, settings
):
    settings.ORG_FIGURES_KEPT_FROM = 10**9  # counted at every visit, at either size
    org = known.org
    user = org.hr if who == "hr" else org.boss.user
    params = {"manager": org.boss.email} if who == "hr" else {}
    _grow(org, 44, 1)  # 50 people
    small = _count(client, user, params)
    _grow(org, 4950, 2)  # 5,000
    client.get(ORG, params)  # counts the readiness of the people new since the last visit
    with django_assert_max_num_queries(PAGE_QUERIES):
        client.get(ORG, params)
    assert _count(client, user, params) == small
    assert small <= PAGE_QUERIES


@pytest.mark.parametrize("who", ["hr", "manager"])
def test_a_large_view_read_from_its_kept_figures_makes_a_few_queries(client, known, who, settings):
    settings.ORG_FIGURES_KEPT_FROM = 1000
    org = known.org
    user = org.hr if who == "hr" else org.boss.user
    params = {"manager": org.boss.email} if who == "hr" else {}
    _grow(org, 1500, 1)
    client.force_login(user)
    client.get(ORG, params)  # counts the new people's readiness, then the figures, kept
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ORG, params)
    assert b"Count them again now" in response.content
    assert b'<dd class="fs-3 mb-0">1,505</dd>' in response.content  # people, at a glance
    assert len(queries) <= KEPT_QUERIES


def test_a_large_people_export_streams_in_constant_queries(client, known):
    org = known.org
    _grow(org, 44, 1)
    client.force_login(org.hr)
    url = reverse("insights:export", kwargs={"table": "people"})
    b"".join(client.get(url).streaming_content)  # caches the ladder's structure
    with CaptureQueriesContext(connection) as queries:
        small = b"".join(client.get(url).streaming_content)
    _grow(org, 500, 2)
    b"".join(client.get(url).streaming_content)  # counts the new people's readiness
    with CaptureQueriesContext(connection) as more_queries:
        response = client.get(url)
        large = b"".join(response.streaming_content)
    assert response.streaming
    assert large.count(b"\n") == small.count(b"\n") + 500
    assert len(more_queries) == len(queries)

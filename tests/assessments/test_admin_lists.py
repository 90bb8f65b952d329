"""HR's big admin lists (evidence, level history, reviews) cost the same few queries however
many rows there are, count cheaply and say how exactly, page, filter, and search people by
the start of their name or email and texts by their words, each through an index."""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.admin import EvidenceAdmin
from assessments.models import Employee, Evidence, LevelAssignment, Review
from pmladder import adminlists

from ..factories import bulk_people
from ..plans import kept_statements

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes and plans"
)

LISTS = ["evidence", "levelassignment", "review"]


@pytest.fixture
def hr_client(org, client):
    client.force_login(org.hr)
    return client


def url(model, **query):
    address = reverse(f"admin:assessments_{model}_changelist")
    return f"{address}?{urlencode(query)}" if query else address


def add_evidence(person, count, *, description="Ran the weekly planning.", days_ago=0):
    """`count` evidence items about `person`, a day apart from `days_ago` back."""
    expectation = person.level.expectations.select_related("category").first()
    today = timezone.localdate()
    return Evidence.objects.bulk_create(
        Evidence(
            employee=person,
            expectation=expectation,
            level=person.level,
            expectation_text=expectation.text,
            category_name=expectation.category.name,
            level_name=person.level.name,
            source=Evidence.Source.MANAGER,
            observed_on=today - datetime.timedelta(days=days_ago + n),
            description=description,
        )
        for n in range(count)
    )


def add_history(person, count, *, rationale="Grew into the role."):
    today = timezone.localdate()
    return LevelAssignment.objects.bulk_create(
        LevelAssignment(
            employee=person,
            level=person.level,
            track=person.track,
            effective_on=today - datetime.timedelta(days=n),
            rationale=rationale,
        )
        for n in range(count)
    )


def add_reviews(person, count, *, summary="Ready for the next step."):
    return Review.objects.bulk_create(
        Review(
            employee=person,
            target_level=person.level,
            target_level_name=person.level.name,
            status=Review.Status.SHARED,
            summary=summary,
        )
        for _ in range(count)
    )


ADD = {"evidence": add_evidence, "levelassignment": add_history, "review": add_reviews}


def shown(response):
    """The ids of the rows the list shows, in order."""
    return [row.pk for row in response.context["cl"].result_list]


def count_text(response):
    """The count under the list, as the page says it."""
    match = re.search(r'<span class="result-count">(.*?)</span>', response.text)
    assert match, "no count under the list"
    return match[1]


# Queries -----------------------------------------------------------------------------


@pytest.mark.parametrize("model", LISTS)
def test_a_list_costs_the_same_queries_for_5_and_60_rows(
    org, hr_client, django_assert_num_queries, django_assert_max_num_queries, model
):
    ADD[model](org.report, 5)
    with CaptureQueriesContext(connection) as few:
        assert hr_client.get(url(model)).status_code == 200
    ADD[model](org.teammate, 55)

    # The session, the user, the HR check, the user's and the group's permissions; the
    # ladders, tracks and levels a filter lists (at most three); the count (SQLite: one
    # capped count; PostgreSQL: the planner's estimate, then a capped count of a small
    # table or a check that a big one is past the cap); the page's rows with their
    # people; the signed-in person's record for the page's header.
    with django_assert_max_num_queries(13):
        response = hr_client.get(url(model))
    with django_assert_num_queries(len(few)):
        hr_client.get(url(model))

    assert response.status_code == 200
    assert len(shown(response)) == 50  # the first page of 60


def test_the_people_list_costs_the_same_queries_for_5_and_60_people(
    org, hr_client, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as few:
        hr_client.get(url("employee"))
    bulk_people(60, like=org.report, manager=org.manager, name="Grown {i}", email="g{i}@x.org")

    with django_assert_num_queries(len(few)):
        response = hr_client.get(url("employee"))

    assert response.context["cl"].result_count == Employee.objects.count()


# Order and paging --------------------------------------------------------------------


def test_evidence_is_listed_newest_first_and_pages_through_every_row(org, hr_client):
    add_evidence(org.report, 30)
    add_evidence(org.teammate, 30, days_ago=5)  # interleaved dates, ties broken by id
    newest_first = list(
        Evidence.objects.order_by("-observed_on", "-id").values_list("pk", flat=True)
    )

    first = hr_client.get(url("evidence"))
    second = hr_client.get(url("evidence", p=2))

    assert shown(first) == newest_first[:50]
    assert shown(second) == newest_first[50:]
    assert count_text(first) == "60 evidence"
    assert "?p=2" in first.text


def test_a_later_page_picks_its_rows_by_id_before_joining_their_people(org, hr_client):
    add_evidence(org.report, 60)

    with CaptureQueriesContext(connection) as queries:
        hr_client.get(url("evidence", p=2))

    rows = [query["sql"] for query in queries if "INNER JOIN" in query["sql"]]
    rows = [sql for sql in rows if sql.startswith('SELECT "assessments_evidence"."id"')]
    assert len(rows) == 1
    assert re.search(r'"assessments_evidence"\."id" IN \(SELECT .* OFFSET 50\)', rows[0])


def test_sorting_by_date_oldest_first_breaks_ties_the_same_way(org, hr_client):
    add_evidence(org.report, 3)
    add_evidence(org.teammate, 3)
    column = EvidenceAdmin.list_display.index("observed_on")

    response = hr_client.get(url("evidence", o=column))

    oldest_first = list(Evidence.objects.order_by("observed_on", "id").values_list("pk", flat=True))
    assert shown(response) == oldest_first
    assert response.context["cl"].get_ordering(response.wsgi_request, Evidence.objects.all())[
        -1:
    ] == ["pk"]


def test_only_indexed_columns_offer_sorting(org, hr_client):
    add_evidence(org.report, 2)

    response = hr_client.get(url("evidence"))

    sortable = re.findall(r'<th scope="col" class="sortable[^"]*column-(\w+)', response.text)
    assert sortable == ["observed_on"]


# Counting ----------------------------------------------------------------------------


def test_a_count_past_the_cap_says_more_than_and_pages_through_the_first_rows(
    org, hr_client, monkeypatch
):
    monkeypatch.setattr(adminlists.CheapCountPaginator, "cap", 20)
    monkeypatch.setattr(EvidenceAdmin, "list_per_page", 5)
    add_evidence(org.report, 30, description="Shipped the pricing page.")

    searched = hr_client.get(url("evidence", q="pricing"))
    last = hr_client.get(url("evidence", q="pricing", p=4))
    past = hr_client.get(url("evidence", q="pricing", p=5))

    assert count_text(searched) == (
        "more than 20 evidence (the first 20 are listed: search or filter to narrow them)"
    )
    assert "more than 20 results" in searched.text
    assert not re.search(r"\d total", searched.text)  # no count of the whole table
    assert len(shown(last)) == 5
    assert past.status_code == 302  # Django's admin: an invalid page goes back to the list


def test_a_small_list_is_counted_exactly(org, hr_client):
    add_history(org.report, 3, rationale="Led the launch.")
    add_history(org.teammate, 2)

    everything = hr_client.get(url("levelassignment"))
    searched = hr_client.get(url("levelassignment", q="launch"))

    # The org's own people each have their first level too.
    assert count_text(everything) == f"{LevelAssignment.objects.count()} level assignments"
    assert count_text(searched) == "3 level assignments"
    assert "3 results" in searched.text


@postgresql_only
def test_an_unfiltered_big_list_says_about_how_many_from_the_planner(
    org, hr_client, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(adminlists.CheapCountPaginator, "cap", 20)
    add_evidence(org.report, 60)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assessments_evidence")

    response = hr_client.get(url("evidence"))

    assert count_text(response) == "about 60 evidence"
    assert "?p=2" in response.text  # paging by the estimate
    assert not re.search(r"\d results", response.text)  # nothing narrowed: no results


@postgresql_only
def test_an_estimate_is_not_trusted_for_a_table_emptied_since(org, hr_client, monkeypatch):
    monkeypatch.setattr(adminlists.CheapCountPaginator, "cap", 20)
    add_evidence(org.report, 60)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assessments_evidence")
    Evidence.objects.filter(pk__in=Evidence.objects.values("pk")[:50]).delete()

    response = hr_client.get(url("evidence"))

    assert count_text(response) == "10 evidence"


# Filters -----------------------------------------------------------------------------


def test_the_period_filter_offers_recent_years_without_a_query_and_filters(org, hr_client):
    today = timezone.localdate()
    add_evidence(org.report, 2)  # today and yesterday
    old = add_evidence(org.teammate, 1, days_ago=365 * 5)

    listed = hr_client.get(url("evidence"))
    earlier = hr_client.get(
        url("evidence", observed_on__lt=datetime.date(today.year - 2, 1, 1).isoformat())
    )

    assert f">{today.year}</a>" in listed.text
    assert f">{today.year - 2}</a>" in listed.text
    assert f">Before {today.year - 2}</a>" in listed.text
    assert ">Past 30 days</a>" in listed.text
    assert shown(earlier) == [old[0].pk]
    assert 'class="toplinks"' not in listed.text  # no date hierarchy


def test_a_status_filter_narrows_the_list(org, hr_client):
    add_evidence(org.report, 3)
    pending = add_evidence(org.teammate, 1)[0]
    Evidence.objects.filter(pk=pending.pk).update(status=Evidence.Status.PENDING)

    response = hr_client.get(url("evidence", status__exact="pending"))

    assert shown(response) == [pending.pk]
    assert count_text(response) == "1 evidence"


def test_big_lists_offer_no_facet_counts(org, hr_client):
    add_evidence(org.report, 2)

    response = hr_client.get(url("evidence", _facets="True"))

    assert response.status_code == 200
    assert "Show counts" not in response.text
    assert not re.search(r"\(\d+\)</a>", response.text)


# Search ------------------------------------------------------------------------------


@pytest.fixture
def mayas(org):
    """Two people called Maya and one Omar, each with evidence, history and a review."""
    maya, other_maya, omar = (
        Employee.objects.get(pk=person.pk)
        for person in bulk_people(
            3,
            like=org.report,
            manager=org.manager,
            name="{i}",
            email="{i}@example.com",
        )
    )
    for person, name, email in [
        (maya, "Maya Halcot", "maya.halcot@example.com"),
        (other_maya, "Maya Borani", "m.borani@example.com"),
        (omar, "Omar Halcot", "omar@example.com"),
    ]:
        Employee.objects.filter(pk=person.pk).update(full_name=name, email=email)
    rows = {}
    for person in (maya, other_maya, omar):
        rows[person.pk] = {
            "evidence": add_evidence(person, 2, description="Ran the weekly planning.")[0].pk,
            "levelassignment": add_history(person, 1)[0].pk,
            "review": add_reviews(person, 1)[0].pk,
        }
    return maya, other_maya, omar, rows


def found(hr_client, model, query):
    return set(hr_client.get(url(model, q=query)).context["cl"].result_list)


@pytest.mark.parametrize("model", LISTS)
def test_search_finds_a_person_by_the_start_of_their_name_or_email(hr_client, mayas, model):
    maya, other_maya, omar, _ = mayas
    manager = {"evidence": Evidence, "levelassignment": LevelAssignment, "review": Review}[model]
    of = {
        person: set(manager.objects.filter(employee=person)) for person in (maya, other_maya, omar)
    }

    assert found(hr_client, model, "maya") == of[maya] | of[other_maya]
    assert found(hr_client, model, "maya.h") == of[maya]  # an email's start
    assert found(hr_client, model, "Maya Halcot") == of[maya]  # a whole name
    assert found(hr_client, model, '"maya hal"') == of[maya]
    assert found(hr_client, model, "alcot") == set()  # not the start of a name


def test_search_finds_evidence_by_a_word_within_its_description(org, hr_client, mayas):
    maya, _, omar, _ = mayas
    mentioned = add_evidence(omar, 1, description="Wrote the incident POSTMORTEM for billing.")
    also = add_evidence(maya, 1, description="Shared a postmortem with the team.")

    word = found(hr_client, "evidence", "postmortem")
    with_person = found(hr_client, "evidence", "maya postmortem")

    assert {item.pk for item in word} == {mentioned[0].pk, also[0].pk}
    assert {item.pk for item in with_person} == {also[0].pk}  # a name and a word


def test_short_words_find_people_by_name_but_are_not_looked_for_within_texts(org, hr_client, mayas):
    maya, other_maya, _, _ = mayas
    add_evidence(org.report, 1, description="QA sign-off for the billing release.")

    assert found(hr_client, "evidence", "qa") == set()  # would read every description
    assert found(hr_client, "evidence", "ma") == set(
        Evidence.objects.filter(employee__in=[maya, other_maya])
    )


def test_search_finds_history_and_reviews_by_their_words(org, hr_client):
    promoted = add_history(org.report, 1, rationale="Led the checkout redesign end to end.")
    reviewed = add_reviews(org.teammate, 1, summary="Strong discovery work; ready soon.")

    history = found(hr_client, "levelassignment", "redesign")
    reviews = found(hr_client, "review", "DISCOVERY")

    assert {row.pk for row in history} == {promoted[0].pk}
    assert {row.pk for row in reviews} == {reviewed[0].pk}


def test_people_are_searched_by_any_part_of_their_name_or_the_start_of_their_email(
    org, hr_client, mayas
):
    maya, other_maya, omar, _ = mayas

    assert found(hr_client, "employee", "maya") == {maya, other_maya}
    assert found(hr_client, "employee", "omar@") == {omar}
    assert found(hr_client, "employee", "report's") == {org.report}  # a title's middle
    assert found(hr_client, "employee", "alcot") == {maya, omar}  # a surname's middle
    assert found(hr_client, "employee", "Maya Halcot") == {maya}  # a whole name
    assert found(hr_client, "employee", "example.com") == set()  # emails by their start


# PostgreSQL: the indexes and their use ----------------------------------------------

INDEXES = {
    "employee_name": "btree (full_name, id)",
    "employee_name_prefix": "btree (upper((full_name)::text) text_pattern_ops)",
    "employee_email_prefix": "btree (upper((email)::text) text_pattern_ops)",
    "employee_job_title_trgm": "gin (upper((job_title)::text) gin_trgm_ops)",
    "employee_name_trgm": "gin (upper((full_name)::text) gin_trgm_ops)",
    "evidence_list": "btree (observed_on DESC, id DESC)",
    "evidence_description_trgm": "gin (upper(description) gin_trgm_ops)",
    "evidence_expectation_trgm": "gin (upper(expectation_text) gin_trgm_ops)",
    "assignment_list": "btree (effective_on DESC, id DESC)",
    "assignment_rationale_trgm": "gin (upper(rationale) gin_trgm_ops)",
    "review_list": "btree (created_at DESC, id DESC)",
    "review_summary_trgm": "gin (upper(summary) gin_trgm_ops)",
}


@postgresql_only
def test_the_list_indexes_exist_after_migrate():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(INDEXES)]
        )
        found_indexes = dict(cursor.fetchall())
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        trigrams = cursor.fetchone()

    assert trigrams is not None
    assert set(found_indexes) == set(INDEXES)
    for name, definition in INDEXES.items():
        assert definition in found_indexes[name], found_indexes[name]


def plan(queryset, *, bitmaps_only=False):
    """The plan PostgreSQL picks for `queryset` when it may not read a whole table: on a
    test's few rows it would, and the question is whether an index can serve.
    `bitmaps_only`: nor walk one index and test each row, so that a condition is served
    by its own index or not at all."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if bitmaps_only:
            cursor.execute("SET LOCAL enable_indexscan = off")
    return queryset.explain()


@postgresql_only
@pytest.mark.parametrize(
    ("model", "index"),
    [(Evidence, "evidence_list"), (LevelAssignment, "assignment_list"), (Review, "review_list")],
)
def test_a_list_is_read_in_order_from_its_index(db, model, index):
    shown_plan = plan(model.objects.all()[:50])

    assert index in shown_plan
    assert "Sort" not in shown_plan


@postgresql_only
def test_the_name_and_email_prefix_searches_use_their_indexes(db):
    by_name = plan(Employee.objects.filter(full_name__istartswith="Maya"))
    by_email = plan(Employee.objects.filter(email__istartswith="maya.h"))

    assert "employee_name_prefix" in by_name
    assert "employee_email_prefix" in by_email


@postgresql_only
def test_the_evidence_search_combines_indexes_rather_than_reading_every_row(org, hr_client, mayas):
    queryset = hr_client.get(url("evidence", q="maya planning")).context["cl"].queryset

    shown_plan = plan(queryset, bitmaps_only=True)

    assert "employee_name_prefix" in shown_plan
    assert "employee_email_prefix" in shown_plan
    assert "evidence_description_trgm" in shown_plan
    assert "evidence_expectation_trgm" in shown_plan
    assert "Seq Scan on assessments_evidence" not in shown_plan


# Every database --------------------------------------------------------------------------


def test_the_search_indexes_render_on_this_database():
    """SQLite rebuilds a table to change it, creating its indexes again from the models:
    each must be valid there too."""
    editor = connection.schema_editor(collect_sql=True)  # only rendering: never entered
    statements = [
        str(index.create_sql(model, editor))
        for model in (Employee, Evidence, LevelAssignment, Review)
        for index in model._meta.indexes
        if isinstance(index, adminlists.UpperPatternIndex | adminlists.TrigramIndex)
    ]

    assert len(statements) == 8
    for statement in statements:
        if connection.vendor == "postgresql":
            assert "_ops" in statement
        else:
            assert "_ops" not in statement
            assert "USING" not in statement


@postgresql_only
@pytest.mark.parametrize("model", [*LISTS, "employee"])
def test_a_searched_list_is_planned_for_its_words_every_time(org, hr_client, model):
    """A search's statements are never kept as prepared statements, whose plan would be
    made for any word; the same list unsearched still is."""

    def kept(**query):
        for _ in range(4):
            assert hr_client.get(url(model, **query)).status_code == 200
        return kept_statements(f'%FROM "assessments_{model}"%ORDER BY%')

    assert kept(q="maya") == 0
    assert kept() > 0
    # Back to plans kept as before once the search is drawn.
    assert hr_client.get(url(model, q="maya")).status_code == 200
    assert connection.connection.prepare_threshold is not None

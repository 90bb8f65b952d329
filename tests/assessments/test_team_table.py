"""The team table (`/team/`) and its CSV (`/team/export.csv`): sorted by each column both
ways, ties broken by name then id; coverage of the current and the next level; the
readiness filter; the export of every page as filtered and sorted, streamed and safe to
open in a spreadsheet; the same access for both; a query count that does not grow."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from levels.models import Expectation

from ..conftest import place
from ..factories import make_evidence
from ..plans import kept_statements

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TEAM = reverse("assessments:team")
EXPORT = reverse("assessments:team_export")


def _expectations(org, key):
    return list(
        Expectation.objects.active()
        .filter(level__ladder=org.ladder, level__key=key)
        .order_by("category__position", "position", "id")
    )


def _show(org, person, key, count, *, first_days_ago=10, last_days_ago=10):
    """Counted evidence that `person` shows the first `count` expectations of level `key`:
    the first piece on one day, the rest on another."""
    for index, expectation in enumerate(_expectations(org, key)[:count]):
        make_evidence(
            person,
            expectation,
            TODAY - datetime.timedelta(days=first_days_ago if index == 0 else last_days_ago),
            by=org.manager.user,
        )


@pytest.fixture
def team(org):
    """The manager's five reports, each column in a known order:

    name   title  level (grade)       track       in level  this level  next level
    Ada    Zeta   Senior PM (5)       IC          3 months  0 of 16     Not yet 2 of 16
    Bea    Gamma  PM Manager (6)      Management  6 months  0 of 16     Not yet 0 of 16
    Cy     Delta  Distinguished (8)   IC          30 months 16 of 16    Top of track
    Remi   Beta   PM (4)              IC          12 months 8 of 16     Ready 13 of 16
    Tea    Alpha  APM (3)             IC          12 months 3 of 15     Getting close 9 of 16
    """
    ada = place(org.ladder, "ada", "Ada Senior", "senior-pm", manager=org.manager, months_ago=3)
    bea = place(
        org.ladder, "bea", "Bea Manager", "pm-manager", "management", org.manager, months_ago=6
    )
    cy = place(org.ladder, "cy", "Cy Top", "distinguished-pm", manager=org.manager, months_ago=30)
    titles = {ada: "Zeta", bea: "Gamma", cy: "Delta", org.report: "Beta", org.teammate: "Alpha"}
    for person, title in titles.items():
        person.job_title = title
        person.save()
    _show(org, org.report, "pm", 8)
    _show(org, org.report, "senior-pm", 13, first_days_ago=200)  # over six months: Ready
    _show(org, org.teammate, "apm", 3)
    _show(org, org.teammate, "pm", 9)  # 56%: Getting close
    _show(org, ada, "staff-pm", 2)
    _show(org, cy, "distinguished-pm", 16)
    return org


def _names(response):
    assert response.status_code == 200
    return [person.full_name.split()[0] for person in response.context["page"]]


def _csv(response):
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# Sorting --------------------------------------------------------------------------------------

ORDERS = {
    "name": ["Ada", "Bea", "Cy", "Remi", "Tea"],
    "title": ["Tea", "Remi", "Cy", "Bea", "Ada"],
    "level": ["Tea", "Remi", "Ada", "Bea", "Cy"],
    "track": ["Ada", "Cy", "Remi", "Tea", "Bea"],
    "time": ["Ada", "Bea", "Remi", "Tea", "Cy"],  # shortest time in level first
    "current": ["Ada", "Bea", "Tea", "Remi", "Cy"],
    "next": ["Bea", "Ada", "Tea", "Remi", "Cy"],  # furthest first; the top of a track last
}
DESCENDING = {
    "name": ["Tea", "Remi", "Cy", "Bea", "Ada"],
    "title": ["Ada", "Bea", "Cy", "Remi", "Tea"],
    "level": ["Cy", "Bea", "Ada", "Remi", "Tea"],
    "track": ["Bea", "Ada", "Cy", "Remi", "Tea"],  # ties by name, ascending
    "time": ["Cy", "Remi", "Tea", "Bea", "Ada"],
    "current": ["Cy", "Remi", "Tea", "Ada", "Bea"],
    "next": ["Remi", "Tea", "Ada", "Bea", "Cy"],  # Ready first; the top of a track still last
}


@pytest.mark.parametrize("column", ORDERS)
def test_each_column_sorts_both_ways(team, as_user, column):
    client = as_user(team.manager.user)

    ascending = client.get(TEAM, {"sort": column})
    descending = client.get(TEAM, {"sort": f"-{column}"})

    assert _names(ascending) == ORDERS[column]
    assert _names(descending) == DESCENDING[column]
    assert ascending.context["ignored"] == []


def test_the_manager_column_sorts_when_everyone_below_is_listed(team, as_user):
    client = as_user(team.boss.user)

    ascending = client.get(TEAM, {"scope": "all", "sort": "manager"})
    descending = client.get(TEAM, {"scope": "all", "sort": "-manager"})

    # Bo's reports, then Mina's, then Otto's; each by name
    assert _names(ascending) == ["Mina", "Otto", "Ada", "Bea", "Cy", "Remi", "Tea", "Stan"]
    assert _names(descending) == ["Stan", "Ada", "Bea", "Cy", "Remi", "Tea", "Mina", "Otto"]


def test_by_default_the_table_sorts_by_name_and_says_so(team, as_user):
    response = as_user(team.manager.user).get(TEAM)

    content = response.content.decode()
    assert _names(response) == ORDERS["name"]
    assert 'aria-sort="ascending"' in content
    assert content.count("aria-sort=") == 1
    assert '>Name <span aria-hidden="true">▲</span></a>' in content


def test_a_header_sorts_by_its_column_and_keeps_the_filters(team, as_user):
    client = as_user(team.manager.user)

    response = client.get(TEAM, {"q": "e", "sort": "-next", "page": "1"})

    headers = response.context["headers"]
    assert headers["next"]["aria_sort"] == "descending"
    assert headers["next"]["url"] == "?q=e&sort=next"  # the other way round; the page drops
    assert headers["name"]["url"] == "?q=e&sort=name"
    assert headers["current"]["url"] == "?q=e&sort=-current"  # most shown first
    assert "manager" not in headers  # no manager column for direct reports
    assert 'aria-sort="descending"' in response.content.decode()


def test_ties_follow_the_name_then_the_id_so_pages_are_stable(team, as_user):
    twins = [
        place(team.ladder, f"twin{n}", "Ann Twin", "apm", manager=team.manager) for n in range(2)
    ]
    for n in range(30):
        place(team.ladder, f"p{n}", f"Person {n:02}", "apm", manager=team.manager)
    client = as_user(team.manager.user)

    for sort in ("level", "-level", "-track", "next"):
        first = list(client.get(TEAM, {"sort": sort}).context["page"])
        second = list(client.get(TEAM, {"sort": sort, "page": 2}).context["page"])
        seen = [person.pk for person in first + second]
        assert len(seen) == len(set(seen)) == 37
    for sort in ("name", "-name", "-level"):
        by_name = client.get(TEAM, {"sort": sort, "q": "twin"}).context["page"]
        assert [p.pk for p in by_name] == [twin.pk for twin in twins]  # ids ascending


@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ({"sort": "salary"}, "Sort by"),
        ({"sort": "--name"}, "Sort by"),
        ({"sort": "manager"}, "Sort by"),  # no manager column for direct reports
        ({"readiness": "maybe"}, "Readiness"),
    ],
)
def test_a_bad_sort_or_readiness_is_ignored_and_named(team, as_user, params, ignored):
    response = as_user(team.manager.user).get(TEAM, params)

    assert _names(response) == ORDERS["name"]
    assert f"were ignored: {ignored}." in response.content.decode()


def test_a_bad_sort_keeps_the_good_filters(team, as_user):
    response = as_user(team.manager.user).get(TEAM, {"sort": "x" * 500, "readiness": "ready"})

    assert _names(response) == ["Remi"]
    assert "were ignored: Sort by." in response.content.decode()


# Coverage and readiness -------------------------------------------------------------------------


def test_each_row_shows_coverage_of_its_level_and_the_next_as_text_and_a_bar(team, as_user):
    response = as_user(team.manager.user).get(TEAM)

    rows = {person.full_name: person for person in response.context["page"]}
    content = response.content.decode()
    remi = rows["Remi Report"]
    assert (remi.current_shown, remi.current_total, remi.current_percent) == (8, 16, 50)
    assert (remi.next_shown, remi.next_total, remi.next_percent) == (13, 16, 81)
    assert remi.badge == ("ready", "Ready")
    assert remi.next_level.key == "senior-pm"
    assert rows["Tea Mate"].badge == ("close", "Getting close")
    assert rows["Ada Senior"].badge == ("building", "Not yet")
    assert rows["Cy Top"].next_level is None
    assert "8 of 16 (50%)" in content
    assert "13 of 16 (81%)" in content
    assert "3 of 15 (20%)" in content
    assert '<progress class="mini-bar" max="16" value="13" aria-hidden="true">' in content
    assert "Top of track" in content
    assert ">Getting close</span>" in content


@pytest.mark.parametrize(
    ("choice", "names"),
    [("close", ["Tea"]), ("ready", ["Remi"]), ("ready-or-close", ["Remi", "Tea"])],
)
def test_the_readiness_filter_keeps_getting_close_or_ready(team, as_user, choice, names):
    response = as_user(team.manager.user).get(TEAM, {"readiness": choice})

    assert _names(response) == names
    assert f"{len(names)} direct report{'s' if len(names) > 1 else ''} match" in (
        response.content.decode()
    )


def test_nobody_ready_says_so_and_offers_to_clear(org, as_user):
    response = as_user(org.manager.user).get(TEAM, {"readiness": "ready"})

    assert b"Nobody matches these filters" in response.content


def test_the_readiness_filter_and_a_sort_combine(team, as_user):
    response = as_user(team.manager.user).get(TEAM, {"readiness": "ready-or-close", "sort": "time"})

    assert _names(response) == ["Remi", "Tea"]


# The CSV -------------------------------------------------------------------------------------


def test_the_csv_lists_the_table_as_sorted_with_every_figure(team, as_user):
    response = as_user(team.manager.user).get(EXPORT, {"sort": "-next"})

    rows = _csv(response)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="team-')
    assert rows[0][:3] == ["Name", "Job title", "Level"]
    assert [row[0] for row in rows[1:]] == [
        "Remi Report",
        "Tea Mate",
        "Ada Senior",
        "Bea Manager",
        "Cy Top",
    ]
    header = rows[0]
    remi = dict(zip(header, rows[1], strict=True))
    assert remi == {
        "Name": "Remi Report",
        "Job title": "Beta",
        "Level": "Product Manager",
        "Track": "Individual Contributor",
        "Manager": "Mina Manager",
        "In level since": team.report.assignments.get().effective_on.isoformat(),
        "Time in level": "11 months",
        "This level: expectations shown": "8",
        "This level: expectations": "16",
        "This level: % shown": "50",
        "Next level": "Senior Product Manager",
        "Next level: expectations shown": "13",
        "Next level: expectations": "16",
        "Next level: % shown": "81",
        "Readiness for next level": "Ready",
    }
    cy = dict(zip(header, rows[5], strict=True))
    assert (cy["Next level"], cy["Readiness for next level"]) == ("Top of track", "")


def test_the_csv_applies_the_filters_and_lists_every_page(team, as_user):
    for n in range(30):
        place(team.ladder, f"p{n}", f"Person {n:02}", "apm", manager=team.manager)
    client = as_user(team.manager.user)

    everyone = _csv(client.get(EXPORT, {"sort": "name", "page": "2"}))
    ready = _csv(client.get(EXPORT, {"readiness": "ready-or-close", "q": "t"}))
    by_level = _csv(client.get(EXPORT, {"level": team.ladder.levels.get(key="pm").pk}))

    assert len(everyone) == 1 + 35  # every page, whatever the page asked
    assert [row[0] for row in ready[1:]] == ["Remi Report", "Tea Mate"]
    assert [row[0] for row in by_level[1:]] == ["Remi Report"]


def test_the_csv_neutralises_formulas(team, as_user):
    person = place(team.ladder, "evil", "=cmd()", "apm", manager=team.manager)
    person.job_title = "+SUM(A1)"
    person.save()

    rows = _csv(as_user(team.manager.user).get(EXPORT))

    row = next(row for row in rows if "cmd" in row[0])
    assert row[:2] == ["'=cmd()", "'+SUM(A1)"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in rows for cell in line)


def test_a_bad_sort_in_the_csv_is_ignored(team, as_user):
    rows = _csv(as_user(team.manager.user).get(EXPORT, {"sort": "salary", "readiness": "ready"}))

    assert [row[0] for row in rows[1:]] == ["Remi Report"]


def test_the_page_links_to_its_csv_with_its_filters(team, as_user):
    response = as_user(team.manager.user).get(TEAM, {"readiness": "close", "sort": "-time"})

    assert f'href="{EXPORT}?readiness=close&amp;sort=-time"' in response.content.decode()
    assert b"Download CSV" in response.content


# Access: the page and its CSV alike -----------------------------------------------------------


@pytest.mark.parametrize("url", [TEAM, EXPORT])
def test_anonymous_is_sent_to_sign_in(org, as_user, url):
    response = as_user(None).get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", [TEAM, EXPORT])
def test_the_person_with_nobody_reporting_is_sent_to_their_page(org, as_user, url):
    response = as_user(org.report.user).get(url, follow=True)

    assert response.redirect_chain[-1][0] == reverse("assessments:me")
    assert b"nobody does yet" in response.content


def test_a_user_off_the_ladder_is_refused(org, as_user):
    assert as_user(org.outsider).get(EXPORT).status_code == 403


def test_the_manager_gets_their_reports(team, as_user):
    rows = _csv(as_user(team.manager.user).get(EXPORT))

    assert {row[0] for row in rows[1:]} == {"Ada Senior", "Bea Manager", "Cy Top"} | {
        "Remi Report",
        "Tea Mate",
    }


def test_an_unrelated_manager_never_sees_another_team(team, as_user):
    client = as_user(team.other_manager.user)

    page = client.get(TEAM, {"scope": "all", "sort": "-next"})
    rows = _csv(client.get(EXPORT, {"scope": "all", "readiness": "ready-or-close"}))
    every = _csv(client.get(EXPORT, {"scope": "all"}))

    assert _names(page) == ["Stan"]
    assert rows == [rows[0]]  # nobody of theirs is close
    assert [row[0] for row in every[1:]] == ["Stan Stranger"]


def test_hr_gets_everyone(team, as_user):
    client = as_user(team.hr)

    page = client.get(TEAM, {"sort": "-next", "readiness": "ready-or-close"})
    rows = _csv(client.get(EXPORT, {"sort": "manager"}))

    assert _names(page) == ["Remi", "Tea"]
    assert len(rows) == 1 + 9  # the whole organisation
    assert rows[-1][0] == "Bo Director"  # nobody above them: the empty manager last
    assert client.get(EXPORT)["Content-Disposition"].startswith('attachment; filename="everyone-')


# What it costs -------------------------------------------------------------------------------


def _grow(org, count):
    people = [
        place(
            org.ladder,
            f"g{n}",
            f"Grown {n:03}",
            ["apm", "pm", "senior-pm"][n % 3],
            manager=org.manager,
        )
        for n in range(count)
    ]
    for person in people[::4]:
        _show(org, person, "pm", 9)
    return people


def _count(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        if isinstance(response, StreamingHttpResponse):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


CASES = [
    (TEAM, {}),
    (TEAM, {"sort": "-next"}),
    (TEAM, {"sort": "time", "readiness": "ready-or-close", "scope": "all"}),
    (EXPORT, {"sort": "-current"}),
]


@pytest.mark.parametrize(("url", "params"), CASES)
def test_the_query_count_is_the_same_for_5_and_60_people(
    team, as_user, url, params, django_assert_max_num_queries
):
    client = as_user(team.manager.user)
    _count(client, url, params)  # the first visit caches the ladder's structure
    small = _count(client, url, params)
    _grow(team, 55)
    _count(client, url, params)  # the next visit counts the new people's readiness

    large = _count(client, url, params)

    assert small == large
    if url == TEAM:
        # session, user, employee, HR group (access); the navigation's counts; whose kept
        # readiness is out of date (`kept`), and the next levels of the page's rows; the
        # page's ids with their count, then those rows (`CountedPaginator`); the figures
        # of the page's rows; the pending wins; the filter's levels and tracks
        with django_assert_max_num_queries(13):
            client.get(url, params)
    else:
        # session, user, employee, HR group (access); whose kept readiness is out of
        # date (`kept`); the rows, every figure with them
        with django_assert_max_num_queries(7):
            b"".join(client.get(url, params).streaming_content)


def test_sorting_by_name_measures_only_the_page(team, as_user):
    _grow(team, 30)
    client = as_user(team.manager.user)
    client.get(TEAM)

    def paged(params):
        with CaptureQueriesContext(connection) as queries:
            client.get(TEAM, params)
        return next(q["sql"] for q in queries if "paged_total" in q["sql"])

    assert "assessments_evidence" not in paged({"sort": "name"})
    assert "assessments_levelassignment" not in paged({"sort": "-level"})
    # Sorting by readiness reads it: as kept per person, not counted from the evidence.
    assert "assessments_keptreadiness" in paged({"sort": "-next"})
    assert "assessments_evidence" not in paged({"sort": "-next"})


def test_someone_who_leaves_the_list_between_its_two_reads_is_left_out(team, as_user, monkeypatch):
    """A page's people are found by id, then read whole (`CountedPaginator`): someone
    deactivated in between is missing from that page, which still opens."""
    from assessments import selectors
    from assessments.models import Employee

    read_whole = selectors.in_order

    def deactivated_in_between(people, ids):
        Employee.objects.filter(pk=team.report.pk).update(is_active=False)
        return read_whole(people, ids)

    monkeypatch.setattr(selectors, "in_order", deactivated_in_between)

    response = as_user(team.manager.user).get(TEAM, {"sort": "-next"})

    assert _names(response) == ["Tea", "Ada", "Bea", "Cy"]
    assert response.context["page"].paginator.count == 5  # as counted in the first read


def test_a_search_by_name_is_planned_for_its_words_every_time(team, as_user):
    """The search's statements are never kept prepared, whose plan would be made for any
    word; the same page unsearched still keeps its own."""
    client = as_user(team.manager.user)

    def kept(query):
        for _ in range(4):
            assert client.get(f"{TEAM}{query}").status_code == 200
        return kept_statements('%"assessments_employee"."full_name"%LIKE%')

    assert kept("?q=e") == 0
    assert kept("") == 0  # nothing searched: no LIKE at all
    assert kept_statements('%FROM "assessments_employee"%') > 0

"""The organisation view's CSV exports: every table, scoped like the page, streamed, with
every cell safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from ..conftest import place

pytestmark = pytest.mark.django_db

TABLES = [
    "headcount",
    "time-in-level",
    "long-in-level",
    "pipeline",
    "pipeline-people",
    "changes",
    "evidence",
    "quiet-people",
    "span",
    "wide-managers",
    "depth",
    "people",
]


def export(client, user, table, **params):
    client.force_login(user)
    response = client.get(reverse("insights:export", kwargs={"table": table}), params)
    assert response.status_code == 200, response.status_code
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="org-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("table", TABLES)
def test_each_table_exports_with_its_header(client, known, table):
    rows = export(client, known.org.hr, table)
    assert rows[0]  # the header
    assert all(len(row) == len(rows[0]) for row in rows)


def test_the_people_export_has_every_column(client, known):
    rows = export(client, known.org.hr, "people")
    assert rows[0] == [
        "Name",
        "Email",
        "Level",
        "Track",
        "Manager",
        "Level since",
        "Time in level",
        "Next level",
        "Shown of next level",
        "Readiness",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 6
    remi = by_name["Remi Report"]
    assert remi[1:5] == ["report@example.com", "PM (L4)", "Individual Contributor", "Mina Manager"]
    assert remi[7:] == ["Senior PM (L5)", "100%", "Ready"]
    assert by_name["Tea Mate"][9] == "Getting close"


@pytest.mark.parametrize("table", TABLES)
def test_a_managers_export_never_names_anyone_outside_their_subtree(client, known, table):
    rows = export(client, known.org.manager.user, table, span=1)
    text = repr(rows)
    for outside in ("Stan Stranger", "Otto Other", "Bo Director", "stranger@example.com"):
        assert outside not in text


def test_a_managers_people_export_is_their_subtree(client, known):
    rows = export(client, known.org.manager.user, "people")
    assert sorted(row[0] for row in rows[1:]) == ["Remi Report", "Tea Mate"]


def test_exports_keep_the_filters(client, known):
    org = known.org
    rows = export(client, org.hr, "people", manager=org.other_manager.email)
    assert [row[0] for row in rows[1:]] == ["Stan Stranger"]
    pm = org.ladder.levels.get(key="pm")
    rows = export(client, org.hr, "people", level=pm.pk, manager="bad")
    assert sorted(row[0] for row in rows[1:]) == ["Remi Report", "Stan Stranger"]


def test_lists_cut_on_the_page_are_whole_in_the_export(client, known):
    from insights import figures

    org = known.org
    for i in range(3):
        place(org.ladder, f"quiet{i}", f"Quiet Person {i}", "apm", manager=org.manager)
    original = figures.LIST_LIMIT
    figures.LIST_LIMIT = 2
    try:
        client.force_login(org.hr)
        response = client.get(reverse("insights:org"))
        table = response.context["s"]["quiet_people"]
    finally:
        figures.LIST_LIMIT = original
    assert table.total == 8
    assert table.more
    assert b"The first 2 of 8. <a" in response.content
    rows = export(client, org.hr, "quiet-people")
    assert len(rows) - 1 == 8


def test_a_formula_in_a_name_is_neutralised(client, known):
    org = known.org
    place(org.ladder, "evil", "=cmd()", "apm", manager=org.manager)
    place(org.ladder, "evil2", "@SUM(A1)", "apm", manager=org.manager)
    for table in ("people", "quiet-people"):
        rows = export(client, org.hr, table)
        cells = [cell for row in rows for cell in row]
        assert "'=cmd()" in cells
        assert "'@SUM(A1)" in cells
        assert not any(cell.startswith(("=", "@", "+", "-")) for cell in cells)


@pytest.mark.parametrize(
    ("role", "status"), [("report", 403), ("outsider", 403), ("anonymous", 302)]
)
def test_exports_refuse_who_may_not_open_the_view(client, known, role, status):
    org = known.org
    user = {"report": org.report.user, "outsider": org.outsider, "anonymous": None}[role]
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("insights:export", kwargs={"table": "people"}))
    assert response.status_code == status


def test_an_unknown_table_is_not_found(client, known):
    client.force_login(known.org.hr)
    response = client.get(reverse("insights:export", kwargs={"table": "salaries"}))
    assert response.status_code == 404

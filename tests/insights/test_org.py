"""The organisation view (`/org/`): each figure against the hand-built organisation of
`conftest.py`, who may open it and what each viewer's view covers, and its filters."""

import datetime

import pytest
from django.urls import reverse

from rounds.models import Nomination

from ..conftest import place
from .conftest import TODAY, ago

pytestmark = pytest.mark.django_db

ORG = reverse("insights:org")


def rows(table):
    """A table's rows as text, as the page and the export write them."""
    return [[str(cell) for cell in row] for row in table.rows]


def figures(client, user, **params):
    client.force_login(user)
    response = client.get(ORG, params)
    assert response.status_code == 200
    return response.context["s"], response


def names(table):
    return {row[0] for row in rows(table)}


# Who may open it -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(ORG)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_person_with_nobody_below_them_is_refused_with_the_reason(client, known):
    client.force_login(known.org.report.user)
    response = client.get(ORG)
    assert response.status_code == 403
    assert b"nobody reports to you" in response.content


def test_a_sign_in_off_the_ladder_is_refused(client, known):
    client.force_login(known.org.outsider)
    assert client.get(ORG).status_code == 403


def test_the_navigation_offers_org_to_managers_and_hr_only(client, known):
    client.force_login(known.org.manager.user)
    assert f'href="{ORG}"'.encode() in client.get(reverse("assessments:team")).content
    client.force_login(known.org.report.user)
    assert f'href="{ORG}"'.encode() not in client.get(reverse("assessments:me")).content


# What each view covers -----------------------------------------------------------------------


def test_hr_sees_the_whole_organisation(client, known):
    _s, response = figures(client, known.org.hr)
    assert response.context["totals"]["people"] == 6
    assert b"The whole organisation" in response.content


def test_a_manager_sees_only_the_people_below_them(client, known):
    org = known.org
    s, response = figures(client, org.manager.user, span=1)
    assert response.context["totals"]["people"] == 2
    assert rows(s["headcount"]) == [
        ["Grade 3: APM", "1", "1"],
        ["Grade 4: PM", "1", "1"],
    ]
    assert names(s["long_in_level"]) == {"Remi Report"}
    assert names(s["pipeline_people"]) == {"Remi Report", "Tea Mate"}
    assert names(s["quiet_people"]) == {"Tea Mate"}
    # Their own span: they manage the two, and are the only manager in view.
    assert rows(s["wide_managers"]) == [["Mina Manager", "PM Manager (M6)", "2"]]
    assert b"Stan Stranger" not in response.content
    assert b"Otto Other" not in response.content


def test_an_unrelated_manager_sees_only_their_own_team(client, known):
    s, response = figures(client, known.org.other_manager.user)
    assert response.context["totals"]["people"] == 1
    assert names(s["quiet_people"]) == {"Stan Stranger"}
    assert s["pipeline_people"].rows == []
    assert sum(int(row[1]) for row in rows(s["changes"])) == 1  # the stranger's promotion
    for name in (b"Remi Report", b"Tea Mate", b"Mina Manager"):
        assert name not in response.content


def test_a_managers_subtree_outside_their_view_is_refused_not_widened(client, known):
    org = known.org
    _s, response = figures(client, org.manager.user, manager=org.other_manager.email)
    assert response.context["totals"]["people"] == 2
    assert b"Stan Stranger" not in response.content
    assert "is nobody in your part of the organisation" in response.content.decode()


def test_a_manager_cannot_narrow_to_themselves_to_see_themselves(client, known):
    org = known.org
    _s, response = figures(client, org.manager.user, manager=org.manager.pk)
    assert response.context["totals"]["people"] == 2
    assert "is nobody in your part of the organisation" in response.content.decode()


def test_hr_narrows_to_a_subtree_by_email_or_id(client, known):
    org = known.org
    for value in (org.manager.email.upper(), str(org.manager.pk)):
        s, response = figures(client, org.hr, manager=value)
        assert response.context["totals"]["people"] == 2
        assert names(s["quiet_people"]) == {"Tea Mate"}
        assert b"Below Mina Manager" in response.content


def test_a_director_narrows_to_a_manager_below_them(client, known):
    org = known.org
    s, response = figures(client, org.boss.user, manager=org.other_manager.pk)
    assert response.context["totals"]["people"] == 1
    assert rows(s["depth"]) == [["Layer 1", "1"]]


# The figures ---------------------------------------------------------------------------------


def test_headcount_by_grade_and_track(client, known):
    s, _ = figures(client, known.org.hr)
    table = s["headcount"]
    assert table.columns == ["Grade and levels", "Individual Contributor", "Management", "Total"]
    assert rows(table) == [
        ["Grade 3: APM", "1", "0", "1"],
        ["Grade 4: PM", "2", "0", "2"],
        ["Grade 6: PM Manager", "0", "2", "2"],
        ["Grade 7: Director", "0", "1", "1"],
    ]
    assert table.chart["series"] == [
        ("Individual Contributor", [1, 2, 0, 0]),
        ("Management", [0, 0, 2, 1]),
    ]


def test_time_in_level_per_level(client, known):
    s, _ = figures(client, known.org.hr)
    assert rows(s["time_in_level"]) == [
        # Level, under 6 months, 6-12 months, 1-2 years, 2 years or more
        ["APM (L3)", "1", "0", "0", "0"],
        ["PM (L4)", "1", "0", "0", "1"],
        ["PM Manager (M6)", "1", "1", "0", "0"],
        ["Director (M7)", "0", "1", "0", "0"],
    ]


def test_people_in_level_two_years_or_more_are_listed_with_the_date(client, known):
    s, _ = figures(client, known.org.hr)
    table = s["long_in_level"]
    assert table.total == 1
    assert rows(table)[0][:5] == [
        "Remi Report",
        "PM (L4)",
        "Individual Contributor",
        "Mina Manager",
        str(ago(780)),
    ]


def test_promotion_pipeline_per_next_level(client, known):
    s, _response = figures(client, known.org.hr)
    assert rows(s["pipeline"]) == [
        # Next level, Ready, Getting close, evidence spans the months
        ["PM (L4)", "0", "1", "0"],
        ["Senior PM (L5)", "1", "0", "1"],
    ]
    assert rows(s["pipeline_people"]) == [
        ["Remi Report", "PM (L4)", "Senior PM (L5)", "100%", "Ready", "Yes", "Yes"],
        [
            "Tea Mate",
            "APM (L3)",
            "PM (L4)",
            rows(s["pipeline_people"])[1][3],
            "Getting close",
            "Not yet",
            "No",
        ],
    ]


def test_the_open_round_is_summed_up_for_the_view(client, known):
    _, response = figures(client, known.org.hr)
    state = response.context["round_state"]
    assert state["round"] == known.round
    assert (state["total"], state["undecided"], state["ready_not_nominated"]) == (1, 1, 0)
    assert b"Spring round" in response.content
    # The unrelated manager's people are not nominated.
    _, response = figures(client, known.org.other_manager.user)
    assert response.context["round_state"]["total"] == 0


def test_a_ready_person_left_out_of_the_open_round_is_counted_and_listed(client, known):
    Nomination.objects.filter(round=known.round).delete()

    s, response = figures(client, known.org.hr)

    assert response.context["round_state"]["ready_not_nominated"] == 1
    assert rows(s["pipeline"])[1] == ["Senior PM (L5)", "1", "0", "1"]
    assert rows(s["pipeline_people"])[0][-1] == "No"


def test_level_changes_per_quarter(client, known):
    s, _ = figures(client, known.org.hr)
    table = s["changes"]
    assert table.columns == ["Quarter", "Promotions", "Lateral moves", "Step-downs"]
    totals = [sum(int(row[i]) for row in rows(table)) for i in (1, 2, 3)]
    assert totals == [1, 2, 1]  # first placements are no changes
    by_quarter = {row[0]: row[1:] for row in rows(table)}
    step_down = ago(50)
    assert by_quarter[f"{step_down.year} Q{(step_down.month - 1) // 3 + 1}"][2] != "0"
    assert len(table.rows) == 4  # the last four quarters by default


def test_level_changes_follow_the_date_range(client, known):
    s, _ = figures(client, known.org.hr, **{"from": str(ago(1000)), "to": str(TODAY)})
    totals = [sum(int(row[i]) for row in rows(s["changes"])) for i in (1, 2, 3)]
    assert totals == [2, 2, 1]  # the report's promotion of 780 days ago too


def test_evidence_activity_per_manager(client, known):
    s, response = figures(client, known.org.hr)
    assert rows(s["evidence"]) == [
        # Manager, direct reports, with no evidence in 90 days (deleted evidence never counts)
        ["Bo Director", "2", "2"],
        ["Mina Manager", "2", "1"],
        ["Otto Other", "1", "1"],
    ]
    assert response.context["totals"] == {"people": 6, "quiet": 5}


def test_span_of_control_and_depth(client, known):
    s, _ = figures(client, known.org.hr, span=1)
    assert rows(s["span"])[0] == ["1 or 2 reports", "3"]
    assert sum(int(row[1]) for row in rows(s["span"])) == 3
    assert rows(s["wide_managers"]) == [
        ["Bo Director", "Director (M7)", "2"],
        ["Mina Manager", "PM Manager (M6)", "2"],
    ]
    assert rows(s["depth"]) == [["Layer 1", "1"], ["Layer 2", "2"], ["Layer 3", "3"]]


def test_depth_below_a_director(client, known):
    s, _ = figures(client, known.org.boss.user)
    assert rows(s["depth"]) == [["Layer 1", "2"], ["Layer 2", "3"]]


def test_no_manager_above_the_default_span(client, known):
    s, response = figures(client, known.org.hr)
    assert s["wide_managers"].rows == []
    assert b"No manager in this view has more direct reports than that" in response.content


# Filters -------------------------------------------------------------------------------------


def test_track_and_level_filters_narrow_every_figure(client, known):
    org = known.org
    ic = org.ladder.tracks.get(key="ic")
    s, response = figures(client, org.hr, track=ic.pk)
    assert response.context["totals"]["people"] == 3
    pm = org.ladder.levels.get(key="pm")
    s, response = figures(client, org.hr, level=pm.pk)
    assert response.context["totals"]["people"] == 2
    assert names(s["quiet_people"]) == {"Stan Stranger"}


def test_the_page_names_its_ladder_track_and_level_filters_for_print_too(client, known):
    org = known.org
    ic, pm = org.ladder.tracks.get(key="ic"), org.ladder.levels.get(key="pm")

    _s, unfiltered = figures(client, org.hr)
    _s, one = figures(client, org.hr, track=ic.pk)
    _s, three = figures(client, org.hr, ladder=org.ladder.pk, track=ic.pk, level=pm.pk)

    assert "Only the people on" not in unfiltered.text
    assert f"Only the people on the {ic.name} track." in one.text
    assert (
        f"Only the people on the {org.ladder.name} ladder, the {ic.name} track and the "
        f"{pm.name} level." in three.text
    )
    # The line is in the page's introduction, which prints (the filters' form does not).
    intro = three.text.split('<p class="text-body-secondary">', 1)[1].split("</p>", 1)[0]
    assert "Only the people on" in intro


def test_ladder_filter(client, known):
    _s, response = figures(client, known.org.hr, ladder=known.org.ladder.pk)
    assert response.context["totals"]["people"] == 6


@pytest.mark.parametrize(
    ("params", "label"),
    [
        ({"ladder": "abc"}, "Ladder"),
        ({"level": "999999"}, "Level"),
        ({"track": "-1"}, "Track"),
        ({"from": "2020-13-01"}, "From"),
        ({"from": "2026-05-01", "to": "2026-01-01"}, "To"),
        ({"from": str(ago(-30))}, "From"),
        ({"from": "1990-01-01", "to": "2026-01-01"}, "From"),
        ({"span": "-1"}, "Span threshold"),
        ({"span": "many"}, "Span threshold"),
        ({"manager": "nobody@example.com"}, "Below manager"),
        ({"manager": "x" * 300}, "Below manager"),
    ],
)
def test_bad_filters_are_ignored_with_a_message(client, known, params, label):
    s, response = figures(client, known.org.hr, **params)
    assert response.context["totals"]["people"] == 6
    assert label in [ignored for ignored, _ in response.context["scope"].ignored]
    assert b"Some filters could not be used" in response.content
    assert len(s["changes"].rows) == 4  # the default range


def test_an_empty_view_says_what_to_do(client, known):
    top = known.org.ladder.levels.get(key="cpo")
    _, response = figures(client, known.org.hr, level=top.pk)
    assert b"Nobody in your view matches these filters" in response.content


def test_a_manager_whose_reports_all_left_is_refused(client, known):
    org = known.org
    lead = place(org.ladder, "lead", "Lee Lead", "pm-manager", "management", org.boss)
    gone = place(org.ladder, "gone", "Gone Person", "pm", manager=lead)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    client.force_login(lead.user)
    # Nobody active reports to them: the view is not for them.
    assert client.get(ORG).status_code == 403


@pytest.mark.parametrize("days", [-1, 0, 1])
def test_time_in_level_buckets_start_the_day_after_their_bounds(known, days):
    """Held since exactly six, twelve or 24 months ago: in the older bucket; a day later,
    in the newer one: each level's counts are those of a filter per bucket."""
    from django.db.models import Count, Q

    from assessments import services
    from assessments.models import Employee, LevelAssignment
    from assessments.readiness import add_months
    from insights import figures as org_figures
    from insights.filters import read_scope

    levels = org_figures.levels_by_id()
    for months in (6, 12, 24):
        since = add_months(TODAY, -months) + datetime.timedelta(days=days)
        LevelAssignment.objects.filter(employee=known.org.report).update(effective_on=since)
        services.keep_level_since(Employee.objects.filter(pk=known.org.report.pk))
        six, twelve, twenty_four = org_figures._bucket_bounds(TODAY)
        conditions = [
            Q(history__gt=six),
            Q(history__lte=six, history__gt=twelve),
            Q(history__lte=twelve, history__gt=twenty_four),
            Q(history__lte=twenty_four),
        ]
        expected = {
            row["level"]: [str(row[f"n{i}"]) for i in range(4)]
            for row in Employee.objects.filter(is_active=True)
            .annotate(history=services.level_since_in_history())
            .order_by()
            .values("level")
            .annotate(**{f"n{i}": Count("pk", filter=c) for i, c in enumerate(conditions)})
        }
        _, scope = read_scope({}, known.org.hr)

        table = org_figures.time_in_level(scope, levels)

        assert sorted([str(cell) for cell in row] for row in table.rows) == sorted(
            [org_figures._level_name(levels[pk]), *counts] for pk, counts in expected.items()
        )


def test_a_list_leaves_out_someone_gone_between_its_two_reads(known):
    """`figures._first` finds a page's ids, then reads those rows: one no longer there by
    then is left out, and the count stays the first read's."""
    from assessments.models import Employee
    from insights import figures as org_figures

    people = Employee.objects.order_by("pk")
    ids = list(people.values_list("pk", flat=True)[:3])

    rows, total = org_figures._first(
        people, 3, counted=True, whole=Employee.objects.exclude(pk=ids[1])
    )

    assert [row.pk for row in rows] == [ids[0], ids[2]]
    assert total == people.count()

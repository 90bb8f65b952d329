"""Pages of promotion rounds: the list, the round's form, its page, the steps that move
it on, and calibration; for every role, with bad input, messages and query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as people_services
from assessments.models import LevelAssignment
from rounds import selectors, services
from rounds.models import Nomination, Round

from ..factories import bulk_people, make_round

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def cases_for(employee):
    return {c.pk: f"A clear case for {c.name}." for c in employee.ladder.promotion_criteria.all()}


def nominate(round, employee, by):
    target = selectors.targets_for(employee)[0]
    return services.nominate(
        round=round,
        employee=employee,
        target_level=target.level,
        target_track=target.track,
        cases=cases_for(employee),
        by=by,
    )


def a_round(org, state="nominating", *, nominated=(), **fields):
    """A round covering everyone, dated so that it can be finalised today, with the boss on
    its committee and `nominated` people put forward by their manager before it reaches
    `state` (through the services)."""
    today = TODAY()
    dates = {"nomination_deadline": today, "calibration_on": today, "effective_on": today}
    round = make_round(by=org.hr, state="draft", **{**dates, **fields})
    round.committee.set([org.boss.user])
    if state == "draft":
        return round
    services.open_nominations(round=round, by=org.hr)
    for employee in nominated:
        nominate(round, employee, employee.manager.user)
    if state in ("calibrating", "finalised"):
        services.close_nominations(round=round, by=org.hr)
    if state == "finalised":
        for nomination in round.nominations.all():
            services.decide(
                nomination=nomination,
                by=org.hr,
                decision=Nomination.Decision.PROMOTE,
                rationale="Shows the level.",
            )
        services.finalise(round=round, by=org.hr)
    round.refresh_from_db()
    return round


def url(name, round, **query):
    address = reverse(f"rounds:{name}", kwargs={"pk": round.pk})
    if query:
        address += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return address


def first_level(round):
    return round.nominations.values_list("target_level", flat=True).first()


# Every page, every role ------------------------------------------------------------------------

ROLES = ["anonymous", "person", "manager", "unrelated_manager", "hr", "hr_on_ladder", "committee"]


@pytest.fixture
def user_for(org, hr_on_ladder):
    def pick(role):
        return {
            "anonymous": None,
            "person": org.report.user,
            "manager": org.manager.user,
            "unrelated_manager": org.other_manager.user,
            "hr": org.hr,
            "hr_on_ladder": hr_on_ladder.user,
            "committee": org.boss.user,  # on the committee, not HR
        }[role]

    return pick


L = "login"
#               anon person manager unrelated hr  hr_ladder committee
EXPECTED = {
    "list": [L, 200, 200, 200, 200, 200, 200],
    "new": [L, 403, 403, 403, 200, 200, 403],
    "draft": [L, 404, 404, 404, 200, 200, 404],  # a draft is for HR alone
    "round": [L, 404, 200, 200, 200, 200, 200],
    "edit": [L, 404, 403, 403, 200, 200, 403],
    "open": [L, 404, 404, 404, 200, 200, 404],
    "close": [L, 404, 403, 403, 200, 200, 403],
    "finalise": [L, 404, 403, 403, 200, 200, 403],
    "calibrate": [L, 404, 403, 403, 200, 200, 200],
    # The person reads their outcome on their own page and their nomination's, not here.
    "finalised": [L, 404, 200, 200, 200, 200, 200],
}


def address_for(org, page):
    if page == "list":
        return reverse("rounds:list")
    if page == "new":
        return reverse("rounds:new")
    if page in ("draft", "open"):
        return url("round" if page == "draft" else "open", a_round(org, "draft"))
    if page in ("round", "edit", "close"):
        return url(page, a_round(org, nominated=[org.report]))
    if page == "finalised":
        return url("round", a_round(org, "finalised", nominated=[org.report]))
    calibrating = a_round(org, "calibrating", nominated=[org.report])
    if page == "calibrate":
        return url("calibrate", calibrating, level=first_level(calibrating))
    return url(page, calibrating)


@pytest.mark.parametrize("page", EXPECTED)
def test_every_page_for_every_role(org, as_user, user_for, page, caplog):
    address = address_for(org, page)

    for role, expected in zip(ROLES, EXPECTED[page], strict=True):
        caplog.clear()
        response = as_user(user_for(role)).get(address)

        if expected == L:
            assert response.status_code == 302, role
            assert response.url.startswith(reverse("login")), role
        else:
            assert response.status_code == expected, role
        if expected in (403, 404):
            assert "Refused user" in caplog.text, role


@pytest.mark.parametrize("step", ["open", "close", "finalise"])
@pytest.mark.parametrize("role", ["person", "manager", "committee"])
def test_only_hr_moves_a_round_on(org, as_user, user_for, step, role):
    state = {"open": "draft", "close": "nominating", "finalise": "calibrating"}[step]
    round = a_round(org, state, nominated=[] if state == "draft" else [org.report])
    client = as_user(user_for(role))

    response = client.post(url(step, round))

    assert response.status_code in (403, 404)
    round.refresh_from_db()
    assert round.state == state


# The list -------------------------------------------------------------------------------------


def test_list_shows_each_round_with_the_nominations_the_viewer_can_see(org, as_user):
    round = a_round(org, nominated=[org.report, org.stranger])

    mine = as_user(org.manager.user).get(reverse("rounds:list"))
    everyone = as_user(org.hr).get(reverse("rounds:list"))

    assert mine.status_code == everyone.status_code == 200
    assert [r.nomination_count for r in mine.context["page"]] == [1]  # Remi only
    assert [r.nomination_count for r in everyone.context["page"]] == [2]
    assert round.get_absolute_url() in mine.content.decode()
    assert "Taking nominations" in mine.content.decode()


def test_hr_gets_a_new_round_button_and_others_do_not(org, as_user):
    a_round(org)

    assert reverse("rounds:new") in as_user(org.hr).get(reverse("rounds:list")).content.decode()
    assert reverse("rounds:new") not in (
        as_user(org.manager.user).get(reverse("rounds:list")).content.decode()
    )


def test_list_without_rounds_says_what_a_round_is_and_who_opens_one(org, as_user):
    a_round(org, "draft")  # a draft is for HR alone

    response = as_user(org.report.user).get(reverse("rounds:list"))
    for_hr = as_user(org.hr).get(reverse("rounds:list"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "A promotion round is how the organisation decides promotions" in content
    assert "HR opens rounds" in content
    assert "There is no round yet" not in for_hr.content.decode()  # HR sees the draft


def test_list_for_hr_without_rounds_offers_to_start_one(org, as_user):
    response = as_user(org.hr).get(reverse("rounds:list"))

    assert "There is no round yet." in response.content.decode()


def test_list_paginates_at_25(org, as_user):
    for i in range(27):
        make_round(by=org.hr, name=f"Round {i}")

    first = as_user(org.hr).get(reverse("rounds:list"))
    second = as_user(org.hr).get(reverse("rounds:list"), {"page": 2})

    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 2
    assert "Page 1 of 2" in first.content.decode()


def count_queries(client, address):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["manager", "hr", "committee"])
def test_list_query_count_does_not_grow_with_rounds_or_nominations(org, as_user, user_for, role):
    a_round(org, nominated=[org.report])
    client = as_user(user_for(role))
    few = count_queries(client, reverse("rounds:list"))

    for i in range(12):
        round = a_round(org, name=f"Round {i}", nominated=[org.report, org.teammate])
        round.committee.add(org.boss.user)

    assert count_queries(client, reverse("rounds:list")) == few


def test_list_query_budget(org, as_user, django_assert_max_num_queries):
    for i in range(5):
        a_round(org, name=f"Round {i}", nominated=[org.report])
    client = as_user(org.manager.user)

    # 1 session, 2 user, 3 HR group (is_hr), 4 the signed-in employee (employee_of),
    # 5 count of the rounds they may see (paginator), 6 the page of rounds with how many
    # of their nominations each holds that they may see (one query, subquery counted),
    # 7 the navigation's counts.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("rounds:list"))

    assert response.status_code == 200


def test_navigation_offers_rounds_to_managers_and_hr_and_to_no_one_else(org, as_user):
    link = f'href="{reverse("rounds:list")}"'

    assert link in as_user(org.manager.user).get(reverse("levels:ladders")).content.decode()
    assert link in as_user(org.hr).get(reverse("levels:ladders")).content.decode()
    assert link not in as_user(org.report.user).get(reverse("levels:ladders")).content.decode()


def test_navigation_offers_rounds_to_someone_who_may_nominate_themselves(org, as_user):
    a_round(org, self_nomination=True)
    link = f'href="{reverse("rounds:list")}"'

    assert link in as_user(org.report.user).get(reverse("levels:ladders")).content.decode()


# Creating and editing -------------------------------------------------------------------------


def round_data(**changes):
    today = TODAY()
    data = {
        "name": "H1 2027 promotions",
        "nomination_deadline": (today + datetime.timedelta(days=10)).isoformat(),
        "calibration_on": (today + datetime.timedelta(days=20)).isoformat(),
        "effective_on": (today + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_new_round_offers_the_default_committee(org, as_user):
    client = as_user(org.hr)
    response = client.get(reverse("rounds:new"))

    content = response.content.decode()
    assert 'type="date"' in content
    assert re.search(r'name="default_committee"[^>]*checked', content)
    # People are typed, with suggestions: nobody is listed on the form itself.
    assert 'list="round-root-suggestions"' in content
    assert "Mina Manager" not in content
    assert "Bo Director" not in content
    client.post(reverse("rounds:new"), round_data(default_committee="on"))
    assert set(Round.objects.get().committee.all()) == {org.hr, org.boss.user}


def test_hr_creates_a_round(org, as_user):
    client = as_user(org.hr)

    response = client.post(
        reverse("rounds:new"),
        round_data(
            ladders=[org.ladder.pk],
            org_root=org.boss.email,
            committee_add=f"{org.boss.email}, {org.manager.email}",
            self_nomination="on",
        ),
        follow=True,
    )

    round = Round.objects.get()
    assert response.redirect_chain[-1][0] == round.get_absolute_url()
    assert round.state == Round.State.DRAFT
    assert round.org_root == org.boss
    assert round.self_nomination
    assert list(round.ladders.all()) == [org.ladder]
    assert set(round.committee.all()) == {org.boss.user, org.manager.user}
    content = response.content.decode()
    assert "H1 2027 promotions is saved as a draft" in content
    assert "Everyone below Bo Director" in content


def test_dates_out_of_order_are_refused_and_what_was_typed_is_kept(org, as_user):
    today = TODAY()
    deadline = today + datetime.timedelta(days=20)
    data = round_data(
        name="Typed name",
        nomination_deadline=deadline.isoformat(),
        calibration_on=(today + datetime.timedelta(days=5)).isoformat(),
        org_root=org.boss.email,
        committee_add=org.manager.email,
    )

    response = as_user(org.hr).post(reverse("rounds:new"), data)

    assert response.status_code == 400
    assert not Round.objects.exists()
    form = response.context["form"]
    assert form.errors["calibration_on"] == [
        "Calibration comes on or after the nomination deadline."
    ]
    content = response.content.decode()
    assert "Nothing was saved." in content
    assert 'value="Typed name"' in content
    assert f'value="{deadline.isoformat()}"' in content
    assert f'value="{org.boss.email}"' in content
    assert f'value="{org.manager.email}"' in content


def test_missing_fields_are_refused_with_nothing_lost(org, as_user):
    response = as_user(org.hr).post(reverse("rounds:new"), round_data(effective_on=""))

    assert response.status_code == 400
    assert "effective_on" in response.context["form"].errors
    assert 'value="H1 2027 promotions"' in response.content.decode()


def test_only_hr_creates_a_round(org, as_user):
    response = as_user(org.manager.user).post(reverse("rounds:new"), round_data())

    assert response.status_code == 403
    assert not Round.objects.exists()


def test_hr_edits_a_round(org, as_user):
    round = a_round(org, "draft")
    client = as_user(org.hr)

    form = client.get(url("edit", round)).context["form"]
    response = client.post(
        url("edit", round),
        round_data(name="Renamed", committee_add=org.manager.email),  # the boss unticked
        follow=True,
    )

    assert form.initial["name"] == "Test round"
    round.refresh_from_db()
    assert round.name == "Renamed"
    assert list(round.committee.all()) == [org.manager.user]
    assert "Changes to Renamed saved." in response.content.decode()


def test_edit_with_dates_out_of_order_keeps_the_round_and_the_typed_values(org, as_user):
    round = a_round(org, "draft")
    today = TODAY()
    data = round_data(
        name="New name", effective_on=(today - datetime.timedelta(days=9)).isoformat()
    )

    response = as_user(org.hr).post(url("edit", round), data)

    assert response.status_code == 400
    assert (
        "Promotions take effect on or after the calibration date."
        in (response.context["form"].errors["effective_on"])
    )
    assert 'value="New name"' in response.content.decode()
    round.refresh_from_db()
    assert round.name == "Test round"


def test_a_calibrating_round_keeps_its_scope_whatever_is_sent(org, as_user, default_ladder):
    round = a_round(org, "calibrating", nominated=[org.report])
    client = as_user(org.hr)

    page = client.get(url("edit", round))
    response = client.post(
        url("edit", round),
        round_data(
            name="Still calibrating",
            nomination_deadline=round.nomination_deadline.isoformat(),
            calibration_on=round.calibration_on.isoformat(),
            effective_on=round.effective_on.isoformat(),
            org_root=org.other_manager.email,
        ),
    )

    assert page.context["form"].fields["org_root"].disabled
    assert "Fixed since nominations closed" in page.content.decode()
    assert response.status_code == 302
    round.refresh_from_db()
    assert round.name == "Still calibrating"
    assert round.org_root is None


def test_a_finalised_round_cannot_be_edited(org, as_user):
    round = a_round(org, "finalised", nominated=[org.report])

    response = as_user(org.hr).get(url("edit", round))

    assert response.status_code == 403
    assert "A finalised round is read-only." in response.content.decode()


# A round's page -------------------------------------------------------------------------------


def test_round_page_shows_where_it_stands_its_dates_scope_and_committee(org, as_user):
    round = a_round(org, "draft", org_root=org.boss, self_nomination=True)
    round.ladders.set([org.ladder])

    response = as_user(org.hr).get(url("round", round))

    content = response.content.decode()
    current = re.search(r'<li class="round-step round-step-current" aria-current="step">', content)
    assert current is not None
    assert content.index('aria-current="step"') < content.index("Taking nominations")
    assert "Everyone below Bo Director" in content
    assert org.ladder.name in content
    assert "Bo Director" in content  # the committee
    assert "People may nominate themselves" in content
    assert url("edit", round) in content
    assert url("open", round) in content
    assert "Open nominations" in content


def test_round_page_names_the_first_of_a_large_committee_and_counts_the_rest(
    org, as_user, monkeypatch
):
    monkeypatch.setattr("rounds.views.COMMITTEE_NAMED", 2)
    round = a_round(org)
    round.committee.set([org.boss.user, org.manager.user, org.other_manager.user, org.hr])

    content = as_user(org.hr).get(url("round", round)).content.decode()
    committee = re.search(r"<dt>Committee</dt><dd>(.*?)</dd>", content).group(1)
    named, _, rest = committee.partition(" and ")

    assert named.split(", ")[0] == "Bo Director"  # in order of name
    assert len(named.split(", ")) == 2
    assert rest == "2 more"


def test_round_page_in_words_when_it_covers_everyone(org, as_user):
    round = a_round(org)

    content = as_user(org.manager.user).get(url("round", round)).content.decode()

    assert "Every ladder" in content
    assert "The whole organisation" in content
    assert url("edit", round) not in content  # for HR only
    assert url("close", round) not in content


def test_round_page_offers_the_next_step_to_hr(org, as_user):
    nominating = a_round(org, nominated=[org.report])
    calibrating = a_round(org, "calibrating", nominated=[org.teammate])
    finalised = a_round(org, "finalised", nominated=[org.stranger])
    client = as_user(org.hr)

    assert url("close", nominating) in client.get(url("round", nominating)).content.decode()
    assert url("finalise", calibrating) in client.get(url("round", calibrating)).content.decode()
    done = client.get(url("round", finalised)).content.decode()
    assert url("edit", finalised) not in done
    assert url("finalise", finalised) not in done


def test_levels_to_calibrate_are_for_hr_and_the_committee(org, as_user):
    round = a_round(org, "calibrating", nominated=[org.report, org.stranger])
    level = first_level(round)
    link = url("calibrate", round, level=level)

    for_committee = as_user(org.boss.user).get(url("round", round))
    for_manager = as_user(org.manager.user).get(url("round", round))

    assert for_committee.context["levels"][0]["candidates"] == 2
    assert link in for_committee.content.decode()
    assert link not in for_manager.content.decode()


def test_round_page_lists_the_nominations_the_viewer_may_see(org, as_user):
    round = a_round(org, nominated=[org.report, org.stranger])

    mine = as_user(org.manager.user).get(url("round", round))
    everyone = as_user(org.hr).get(url("round", round))

    assert [n.employee for n in mine.context["nominations"]] == [org.report]
    assert {n.employee for n in everyone.context["nominations"]} == {org.report, org.stranger}
    content = mine.content.decode()
    nomination = round.nominations.get(employee=org.report)
    assert nomination.get_absolute_url() in content
    assert "Mina Manager" in content  # nominated by


def test_decisions_show_to_the_committee_and_to_managers_only_once_finalised(org, as_user):
    round = a_round(org, "calibrating", nominated=[org.report])
    nomination = round.nominations.get()
    services.decide(
        nomination=nomination, by=org.hr, decision="promote", rationale="Shows the level."
    )

    committee = as_user(org.other_manager.user)
    round.committee.add(org.other_manager.user)
    for_committee = committee.get(url("round", round)).content.decode()
    for_manager = as_user(org.manager.user).get(url("round", round)).content.decode()
    services.finalise(round=round, by=org.hr)
    after = as_user(org.manager.user).get(url("round", round)).content.decode()

    assert "decision-promote" in for_committee
    assert "decision-promote" not in for_manager
    assert "Decisions are shown here once the round is finalised." in for_manager
    assert "decision-promote" in after


def test_nominations_are_paginated_at_50(org, as_user):
    round = a_round(org)
    people = bulk_people(
        52, like=org.report, manager=org.manager, name="Person {i:03}", email="p{i}@example.com"
    )
    target = selectors.targets_for(org.report)[0]
    Nomination.objects.bulk_create(
        Nomination(
            round=round,
            employee=person,
            from_level=person.level,
            target_level=target.level,
            target_track=target.track,
            nominated_by=org.manager.user,
        )
        for person in people
    )

    first = as_user(org.hr).get(url("round", round))
    second = as_user(org.hr).get(url("round", round), {"page": 2})

    assert len(first.context["nominations"]) == 50
    assert len(second.context["nominations"]) == 2


@pytest.mark.parametrize("role", ["hr", "manager"])
def test_round_page_query_count_does_not_grow_with_nominations(org, as_user, user_for, role):
    small = a_round(org)
    large = a_round(org)
    for round, count in ((small, 2), (large, 40)):
        people = bulk_people(
            count + 30,  # some nominated, the rest to nominate
            like=org.report,
            manager=org.manager,
            name=f"Person {round.pk}-{{i:03}}",
            email=f"p{round.pk}-{{i}}@example.com",
        )
        target = selectors.targets_for(org.report)[0]
        Nomination.objects.bulk_create(
            Nomination(
                round=round,
                employee=person,
                from_level=person.level,
                target_level=target.level,
                target_track=target.track,
                nominated_by=org.manager.user,
            )
            for person in people[:count]
        )
    client = as_user(user_for(role))

    assert count_queries(client, url("round", small)) == count_queries(client, url("round", large))


def test_managers_see_the_people_they_can_nominate(org, as_user):
    round = a_round(org, nominated=[org.teammate])

    response = as_user(org.manager.user).get(url("round", round))

    assert [p.full_name for p in response.context["people"]] == ["Remi Report"]
    nominate_link = reverse("rounds:nominate", kwargs={"pk": org.report.pk})
    assert f"{nominate_link}?round={round.pk}" in response.content.decode()


def test_the_people_to_nominate_can_be_searched_and_are_paginated(org, as_user):
    round = a_round(org)
    bulk_people(
        30, like=org.report, manager=org.manager, name="Report {i:02}", email="r{i}@example.com"
    )
    client = as_user(org.manager.user)

    page = client.get(url("round", round))
    found = client.get(url("round", round), {"q": "tea"})
    nobody = client.get(url("round", round), {"q": "zzz"})

    assert len(page.context["people"]) == 25
    assert page.context["people"].paginator.count == 32  # 30, Remi and Tea
    assert [p.full_name for p in found.context["people"]] == ["Tea Mate"]
    assert "Nobody you can nominate has “zzz” in their name." in nobody.content.decode()


def test_people_outside_the_round_are_not_offered(org, as_user):
    round = a_round(org, org_root=org.other_manager)

    response = as_user(org.manager.user).get(url("round", round))

    assert list(response.context["people"]) == []
    assert "Nobody left to nominate" in response.content.decode()


def test_no_one_is_offered_once_the_round_stops_taking_nominations(org, as_user):
    round = a_round(org, "calibrating", nominated=[org.report])

    response = as_user(org.manager.user).get(url("round", round))

    assert "people" not in response.context
    assert "People you can nominate" not in response.content.decode()


def test_people_may_nominate_themselves_when_the_round_allows_it(org, as_user):
    allowed = a_round(org, self_nomination=True)
    not_allowed = a_round(org)
    link = reverse("rounds:nominate", kwargs={"pk": org.report.pk})

    yes = as_user(org.report.user).get(url("round", allowed)).content.decode()
    no = as_user(org.manager.user).get(url("round", not_allowed)).content.decode()

    assert f"{link}?round={allowed.pk}" in yes
    assert "Nominate yourself" in yes
    assert "Nominate yourself" not in no


def test_hr_on_the_ladder_is_not_offered_themselves(org, as_user, hr_on_ladder):
    round = a_round(org)

    response = as_user(hr_on_ladder.user).get(url("round", round))

    offered = {person.full_name for person in response.context["people"]}
    assert "Remi Report" in offered
    assert hr_on_ladder.full_name not in offered
    assert "Nominate yourself" not in response.content.decode()


def test_no_self_nomination_offered_to_someone_already_nominated(org, as_user):
    round = a_round(org, self_nomination=True, nominated=[org.report])

    content = as_user(org.report.user).get(url("round", round)).content.decode()

    assert "Nominate yourself" not in content


def test_an_empty_round_says_so(org, as_user):
    round = a_round(org, "calibrating")

    response = as_user(org.hr).get(url("round", round))

    content = response.content.decode()
    assert "Nobody was nominated in this round, so there is nothing to calibrate." in content
    assert "There are no nominations you can see in this round." in content


# Moving a round on ----------------------------------------------------------------------------


def test_opening_nominations_asks_first_then_opens(org, as_user):
    round = a_round(org, "draft")
    client = as_user(org.hr)

    page = client.get(url("open", round))
    response = client.post(url("open", round), follow=True)

    assert "can nominate the people this round covers" in page.content.decode()
    assert '<form method="post"' in page.content.decode()
    round.refresh_from_db()
    assert round.state == Round.State.NOMINATING
    assert "Nominations are open" in response.content.decode()


def test_opening_a_round_whose_deadline_passed_is_refused_with_the_reason(org, as_user):
    yesterday = TODAY() - datetime.timedelta(days=1)
    round = a_round(org, "draft", nomination_deadline=yesterday, calibration_on=yesterday)
    client = as_user(org.hr)

    page = client.get(url("open", round))
    response = client.post(url("open", round))

    assert "has passed" in page.content.decode()
    assert 'method="post"' not in page.content.decode().split("<main", 1)[1]
    assert response.status_code == 400
    assert "The nomination deadline has passed" in response.content.decode()
    round.refresh_from_db()
    assert round.state == Round.State.DRAFT


def test_moving_a_round_in_the_wrong_state_answers_400_with_the_reason(org, as_user):
    round = a_round(org)  # already taking nominations
    client = as_user(org.hr)

    page = client.get(url("open", round))
    response = client.post(url("open", round))
    finalise = client.post(url("finalise", round))

    assert page.status_code == 200
    assert "Opening nominations is for a round that is draft" in page.content.decode()
    assert response.status_code == 400
    assert "is already taking nominations" in response.content.decode()
    assert finalise.status_code == 400
    assert "Close nominations and calibrate before finalising." in finalise.content.decode()
    round.refresh_from_db()
    assert round.state == Round.State.NOMINATING


def test_closing_nominations_says_what_freezes_then_freezes_it(org, as_user):
    round = a_round(org, nominated=[org.report, org.stranger])
    client = as_user(org.hr)

    page = client.get(url("close", round))
    response = client.post(url("close", round), follow=True)

    assert "2 nominations" in page.content.decode()
    assert "can no longer be added" in page.content.decode()
    round.refresh_from_db()
    assert round.state == Round.State.CALIBRATING
    assert not round.nominations.filter(snapshot__isnull=True).exists()
    assert "Nominations closed: 2 packets frozen" in response.content.decode()


def test_finalise_lists_promotions_and_sends_emails(
    org, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    round = a_round(org, "calibrating", nominated=[org.report, org.stranger])
    report = round.nominations.get(employee=org.report)
    stranger = round.nominations.get(employee=org.stranger)
    services.decide(nomination=report, by=org.hr, decision="promote", rationale="Ready.")
    services.decide(nomination=stranger, by=org.hr, decision="not_this_round", rationale="Not yet.")
    client = as_user(org.hr)

    page = client.get(url("finalise", round))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("finalise", round), follow=True)

    confirm = page.content.decode()
    assert "Remi Report" in confirm
    assert report.from_level.name in confirm
    assert report.target_level.name in confirm
    assert "Stan Stranger</a> stays" in confirm
    assert "Finalise and write 1 promotion" in confirm
    round.refresh_from_db()
    assert round.state == Round.State.FINALISED
    org.report.refresh_from_db()
    assert org.report.level == report.target_level
    assert (
        "Finalised: 1 promotion written; each person nominated and their manager have been "
        "emailed their outcome." in response.content.decode()
    )
    assert {m.to[0] for m in mailoutbox} >= {org.report.email, org.manager.email}


def test_finalise_with_undecided_nominations_is_refused_and_writes_nothing(org, as_user):
    round = a_round(org, "calibrating", nominated=[org.report, org.stranger])
    report = round.nominations.get(employee=org.report)
    services.decide(nomination=report, by=org.hr, decision="promote", rationale="Ready.")
    assignments = LevelAssignment.objects.count()
    client = as_user(org.hr)

    page = client.get(url("finalise", round))
    response = client.post(url("finalise", round))

    content = page.content.decode()
    assert "1 nomination is not decided yet" in content
    stranger = round.nominations.get(employee=org.stranger)
    assert stranger.get_absolute_url() in content
    assert "Finalise and write" not in content  # no button
    assert response.status_code == 400
    assert "Decide every nomination first; still open: Stan Stranger." in (
        response.content.decode()
    )
    round.refresh_from_db()
    assert round.state == Round.State.CALIBRATING
    assert LevelAssignment.objects.count() == assignments


def test_finalise_before_the_effective_date_is_explained_and_refused(org, as_user):
    soon = TODAY() + datetime.timedelta(days=5)
    round = a_round(org, "calibrating", nominated=[org.report], effective_on=soon)
    nomination = round.nominations.get()
    services.decide(nomination=nomination, by=org.hr, decision="promote", rationale="Ready.")
    client = as_user(org.hr)

    page = client.get(url("finalise", round))
    response = client.post(url("finalise", round))

    assert "finalise the round on or after that day" in page.content.decode()
    assert "Finalise and write" not in page.content.decode()
    assert response.status_code == 400
    round.refresh_from_db()
    assert round.state == Round.State.CALIBRATING


def test_finalise_after_a_level_changed_is_explained_and_refused(org, as_user):
    round = a_round(org, "calibrating", nominated=[org.report])
    nomination = round.nominations.get()
    services.decide(nomination=nomination, by=org.hr, decision="promote", rationale="Ready.")
    people_services.assign_level(
        employee=org.report,
        level=nomination.target_level,
        track=nomination.target_track,
        effective_on=TODAY(),
        by=org.hr,
        rationale="Promoted outside the round.",
    )
    client = as_user(org.hr)

    page = client.get(url("finalise", round))
    response = client.post(url("finalise", round))

    assert "The level of Remi Report changed since the nomination" in page.content.decode()
    assert "Finalise and write" not in page.content.decode()
    assert response.status_code == 400
    assert "level changed since the nomination" in response.content.decode()
    round.refresh_from_db()
    assert round.state == Round.State.CALIBRATING


def test_finalising_a_finalised_round_says_so_without_error(org, as_user):
    round = a_round(org, "finalised", nominated=[org.report])
    assignments = LevelAssignment.objects.count()
    client = as_user(org.hr)

    page = client.get(url("finalise", round))
    response = client.post(url("finalise", round), follow=True)

    assert page.status_code == 200
    assert "This round was finalised on" in page.content.decode()
    assert response.status_code == 200
    assert "was already finalised; nothing more was written." in response.content.decode()
    assert LevelAssignment.objects.count() == assignments


def test_hr_who_is_nominated_cannot_finalise(org, as_user, hr_on_ladder):
    round = a_round(org, "calibrating", nominated=[hr_on_ladder])
    nomination = round.nominations.get()
    services.decide(nomination=nomination, by=org.hr, decision="promote", rationale="Ready.")

    response = as_user(hr_on_ladder.user).post(url("finalise", round))

    assert response.status_code == 403
    round.refresh_from_db()
    assert round.state == Round.State.CALIBRATING


# Calibration ----------------------------------------------------------------------------------


@pytest.fixture
def calibrating(org):
    """A calibrating round with Remi (Mina's report) and Stan (Otto's report) up for the
    same level; Stan's packet reads Ready, Remi's not, and Remi is promoted."""
    round = a_round(org, "calibrating", nominated=[org.report, org.stranger])
    stan = round.nominations.get(employee=org.stranger)
    stan.snapshot["readiness"].update(code="ready", label="Ready", percent=90)
    stan.save(update_fields=["snapshot"])
    remi = round.nominations.get(employee=org.report)
    services.decide(nomination=remi, by=org.hr, decision="promote", rationale="Ready.")
    return round


def test_calibrate_without_a_level_goes_to_the_first(org, as_user, calibrating):
    response = as_user(org.hr).get(url("calibrate", calibrating))

    assert response.status_code == 302
    assert response.url == url("calibrate", calibrating, level=first_level(calibrating))


@pytest.mark.parametrize("level", ["abc", "999999", "-1"])
def test_calibrate_with_a_level_not_in_the_round_is_404(org, as_user, calibrating, level):
    response = as_user(org.hr).get(url("calibrate", calibrating, level=level))

    assert response.status_code == 404


def test_calibrate_with_nobody_nominated_has_an_empty_state(org, as_user):
    round = a_round(org, "calibrating")

    response = as_user(org.hr).get(url("calibrate", round))

    assert response.status_code == 200
    assert "Nobody was nominated in this round" in response.content.decode()


def test_calibrate_shows_each_candidate_from_their_packet(org, as_user, calibrating):
    level = first_level(calibrating)

    response = as_user(org.hr).get(url("calibrate", calibrating, level=level))

    content = response.content.decode()
    rows = response.context["page"]
    assert [row.name for row in rows] == ["Stan Stranger", "Remi Report"]  # by readiness
    remi = rows[1]
    assert remi.nomination.get_absolute_url() in content
    assert "Mina Manager" in content
    assert "Otto Other" in content
    for category in remi.packet["categories"]:
        assert f"{category['shown']}/{category['total']}" in content
    assert "<details" in content
    assert "A clear case for" in content
    assert "decision-promote" in content
    assert "Not decided" in content
    assert 'aria-current="page"' in content  # the level switcher
    assert 'aria-sort="descending"' in content  # the readiness column


def test_decide_links_come_back_to_the_filtered_page(org, as_user, calibrating):
    level = first_level(calibrating)
    address = url("calibrate", calibrating, level=level, sort="name")

    response = as_user(org.boss.user).get(address)

    row = response.context["page"][0]
    assert row.decide_url.endswith("#decide")
    assert "next=%2Frounds%2F" in row.decide_url
    assert "sort%3Dname" in row.decide_url
    assert row.decide_url in response.content.decode().replace("&amp;", "&")


def test_no_decide_links_once_finalised(org, as_user):
    round = a_round(org, "finalised", nominated=[org.report])

    response = as_user(org.hr).get(url("calibrate", round, level=first_level(round)))

    assert response.status_code == 200
    assert "#decide" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"badge": "ready"}, ["Stan Stranger"]),
        ({"badge": "building"}, ["Remi Report"]),
        ({"decision": "undecided"}, ["Stan Stranger"]),
        ({"decision": "promote"}, ["Remi Report"]),
        ({"manager": "Otto Other"}, ["Stan Stranger"]),
        ({"sort": "name"}, ["Remi Report", "Stan Stranger"]),
        ({"sort": "manager"}, ["Remi Report", "Stan Stranger"]),
    ],
)
def test_calibrate_filters_and_sorts_through_the_address(org, as_user, calibrating, query, names):
    level = first_level(calibrating)

    response = as_user(org.hr).get(url("calibrate", calibrating), {"level": level, **query})

    assert [row.name for row in response.context["page"]] == names


def test_calibrate_ignores_filters_it_cannot_use_and_says_so(org, as_user, calibrating):
    level = first_level(calibrating)

    response = as_user(org.hr).get(
        url("calibrate", calibrating), {"level": level, "badge": "bogus", "sort": "nope"}
    )

    assert response.status_code == 200
    assert len(response.context["page"]) == 2
    assert "ignored: Readiness, Sort by" in response.content.decode()


def test_calibrate_filters_that_match_nobody_say_so(org, as_user, calibrating):
    query = {"level": first_level(calibrating), "badge": "close"}

    response = as_user(org.hr).get(url("calibrate", calibrating), query)

    assert "No candidate for" in response.content.decode()
    assert "Clear them" in response.content.decode()


def test_calibrate_offers_the_managers_among_the_candidates(org, as_user, calibrating):
    level = first_level(calibrating)

    response = as_user(org.hr).get(url("calibrate", calibrating, level=level))

    choices = dict(response.context["form"].fields["manager"].choices)
    assert set(choices) == {"", "Mina Manager", "Otto Other"}


def test_committee_member_does_not_see_their_own_nomination(org, as_user):
    round = a_round(org, "calibrating", nominated=[org.report, org.manager])
    round.committee.add(org.manager.user)

    response = as_user(org.manager.user).get(
        url("calibrate", round, level=round.nominations.get(employee=org.report).target_level_id)
    )

    assert [row.name for row in response.context["page"]] == ["Remi Report"]


def many_candidates(org, round, count):
    """`count` more candidates in `round` for Remi's target level, on new people, each
    carrying Remi's frozen packet (bulk-created: the page is what is measured)."""
    remi = round.nominations.get(employee=org.report)
    people = bulk_people(
        count,
        like=org.report,
        manager=lambda i: org.manager if i % 2 else org.other_manager,
        name=f"Candidate {round.pk}-{{i:04}}",
        email=f"candidate{round.pk}-{{i}}@example.com",
    )
    Nomination.objects.bulk_create(
        Nomination(
            round=round,
            employee=person,
            from_level=remi.from_level,
            target_level=remi.target_level,
            target_track=remi.target_track,
            nominated_by=org.manager.user,
            cases=remi.cases,
            snapshot=remi.snapshot,
            decision="promote" if i % 3 == 0 else "",
        )
        for i, person in enumerate(people)
    )
    return remi.target_level_id


@pytest.mark.parametrize("query", [{}, {"sort": "name", "decision": "undecided"}])
def test_calibrate_query_count_is_the_same_for_10_and_500_candidates(org, as_user, query):
    small = a_round(org, "calibrating", nominated=[org.report])
    large = a_round(org, "calibrating", nominated=[org.report])
    client = as_user(org.hr)
    small_level = many_candidates(org, small, 9)
    large_level = many_candidates(org, large, 499)

    def address(round, level):
        return url("calibrate", round, level=level, **query)

    assert count_queries(client, address(small, small_level)) == count_queries(
        client, address(large, large_level)
    )


def test_calibrate_query_budget(org, as_user, django_assert_max_num_queries):
    round = a_round(org, "calibrating", nominated=[org.report])
    level = many_candidates(org, round, 60)
    client = as_user(org.boss.user)

    # 1 session, 2 user, 3 the round, 4 its ladders, 5 HR group (is_hr), 6 its committee
    # (may they see and calibrate it?), 7 the signed-in employee (employee_of), 8 the
    # levels with their counts, 9 the candidates with their people, 10 their endorsements,
    # 11 the navigation's counts.
    with django_assert_max_num_queries(11):
        response = client.get(url("calibrate", round, level=level))

    assert response.status_code == 200
    assert len(response.context["page"]) == 50


def test_the_calibrate_page_stays_usable_on_a_phone_and_in_print(org, as_user, calibrating):
    level = first_level(calibrating)

    content = as_user(org.hr).get(url("calibrate", calibrating, level=level)).content.decode()

    # Rows become labelled cards on a phone; the filters and links stay off paper.
    assert "table-cards calibrate-table" in content
    assert 'data-label="Readiness"' in content
    assert 'class="row g-2 align-items-end mb-3 d-print-none"' in content

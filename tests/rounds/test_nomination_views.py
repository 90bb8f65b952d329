"""Nomination pages: nominating, reading a nomination as each role sees it, changing,
withdrawing, endorsing and deciding it; the outcome on /me/ and the nominations on a
person's page. Every role on every page, bad input, concurrent decisions, and cost."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from rounds import selectors, services
from rounds.models import Endorsement, Nomination, NominationChange, Round

from ..conftest import place
from ..factories import make_round

pytestmark = pytest.mark.django_db

CASE_TEXT = "Led the pricing launch end to end."
NOTES = "Committee only: compared with two peers, strongest on impact."
RATIONALE = "Rationale: consistent senior scope over two halves."
FEEDBACK = "Feedback: congratulations, keep mentoring the new PMs."


@pytest.fixture
def member(org):
    """A committee member who does not manage Remi: a senior PM under the boss."""
    return place(org.ladder, "cora", "Cora Committee", "senior-pm", manager=org.boss)


def user_of(org, member, hr_on_ladder, role):
    return {
        "anonymous": None,
        "person": org.report.user,
        "manager": org.manager.user,
        "skip_level": org.boss.user,
        "unrelated_manager": org.other_manager.user,
        "hr": org.hr,
        "hr_on_ladder": hr_on_ladder.user,
        "committee": member.user,
    }[role]


ROLES = [
    "anonymous",
    "person",
    "manager",
    "skip_level",
    "unrelated_manager",
    "hr",
    "hr_on_ladder",
    "committee",
]


def cases(org, text=CASE_TEXT):
    return {c.pk: f"{text} ({c.name})" for c in org.ladder.promotion_criteria.all()}


def case_data(org, text=CASE_TEXT, **extra):
    data = {f"case_{pk}": value for pk, value in cases(org, text).items()}
    data.update(extra)
    return data


def target(org):
    return selectors.targets_for(org.report)[0]


def open_round(org, member, **fields):
    fields.setdefault("name", "H1 promotions")
    round = make_round(by=org.hr, **fields)
    round.committee.set([member.user])
    return round


def nominate(org, round, *, by=None, employee=None):
    employee = employee or org.report
    goal = selectors.targets_for(employee)[0]
    return services.nominate(
        round=round,
        employee=employee,
        target_level=goal.level,
        target_track=goal.track,
        cases=cases(org),
        by=by or org.manager.user,
    )


@pytest.fixture
def nominating(org, member):
    """Remi, nominated by their manager in a round taking nominations."""
    return nominate(org, open_round(org, member))


def closing_today(org, member, **fields):
    """A round whose dates are all today: it can take nominations, calibrate and finalise
    on the same day."""
    today = timezone.localdate()
    return open_round(
        org,
        member,
        nomination_deadline=today,
        calibration_on=today,
        effective_on=today,
        **fields,
    )


@pytest.fixture
def calibrating(org, member):
    """Remi's nomination, frozen, with a decision recorded by the committee."""
    round = closing_today(org, member)
    nomination = nominate(org, round)
    services.close_nominations(round=round, by=org.hr)
    services.decide(
        nomination=nomination,
        by=member.user,
        decision=Nomination.Decision.PROMOTE,
        rationale=RATIONALE,
        feedback=FEEDBACK,
        discussion=NOTES,
    )
    nomination.refresh_from_db()
    return nomination


@pytest.fixture
def finalised(org, calibrating):
    services.finalise(round=calibrating.round, by=org.hr)
    calibrating.refresh_from_db()
    return calibrating


def url(name, pk, query=""):
    return reverse(f"rounds:{name}", kwargs={"pk": pk}) + query


def outcome(response):
    if response.status_code == 302:
        return "login" if response["Location"].startswith(reverse("login")) else "done"
    return response.status_code


# Every role on every page ---------------------------------------------------------------------

# In ROLES order: anonymous, person, manager, skip_level, unrelated_manager, hr,
# hr_on_ladder, committee (a committee member who does not manage Remi).
EXPECTED = {
    # The round does not take self-nominations, so the person does not see it at all.
    "nominate_get": ["login", 404, 200, 200, 404, 200, 200, 404],
    "nominate_post": ["login", 404, "done", "done", 404, "done", "done", 404],
    "view_nominating": ["login", 404, 200, 200, 404, 200, 200, 200],
    "view_calibrating": ["login", 404, 200, 200, 404, 200, 200, 200],
    "view_finalised": ["login", 200, 200, 200, 404, 200, 200, 200],
    "edit_get": ["login", 404, 200, 200, 404, 200, 200, 403],
    "edit_post": ["login", 404, "done", "done", 404, "done", "done", 403],
    "edit_calibrating": ["login", 404, 403, 403, 404, 403, 403, 403],
    "withdraw_get": ["login", 404, 200, 200, 404, 200, 200, 403],
    "withdraw_post": ["login", 404, "done", "done", 404, "done", "done", 403],
    "endorse_get": ["login", 405, 405, 405, 405, 405, 405, 405],
    "endorse_post": ["login", 404, 403, "done", 404, 403, 403, 403],
    "decide_get": ["login", 405, 405, 405, 405, 405, 405, 405],
    "decide_post": ["login", 404, 403, 403, 404, "done", "done", "done"],
    "decide_nominating": ["login", 404, 403, 403, 404, 403, 403, 403],
}


def request_for(org, member, client, case):
    if case.startswith("nominate"):
        round = open_round(org, member)
        address = url("nominate", org.report.pk, f"?round={round.pk}")
        if case == "nominate_get":
            return client.get(address)
        return client.post(address, case_data(org, round=round.pk, target=target(org).value))
    if case in ("view_calibrating", "view_finalised", "edit_calibrating") or case.startswith(
        "decide_p"
    ):
        round = closing_today(org, member)
        nomination = nominate(org, round)
        services.close_nominations(round=round, by=org.hr)
        if case == "view_finalised":
            services.decide(
                nomination=nomination,
                by=org.hr,
                decision=Nomination.Decision.NOT_THIS_ROUND,
                rationale="Not yet.",
            )
            services.finalise(round=round, by=org.hr)
    else:
        nomination = nominate(org, open_round(org, member))
    if case.startswith("view"):
        return client.get(url("nomination", nomination.pk))
    if case.startswith("edit"):
        if case == "edit_get":
            return client.get(url("nomination_edit", nomination.pk))
        data = case_data(org, "Changed", target=target(org).value)
        return client.post(url("nomination_edit", nomination.pk), data)
    if case.startswith("withdraw"):
        if case == "withdraw_get":
            return client.get(url("nomination_withdraw", nomination.pk))
        return client.post(url("nomination_withdraw", nomination.pk))
    if case.startswith("endorse"):
        if case == "endorse_get":
            return client.get(url("nomination_endorse", nomination.pk))
        return client.post(url("nomination_endorse", nomination.pk), {"text": "Strong case."})
    if case == "decide_get":
        return client.get(url("nomination_decide", nomination.pk))
    return client.post(
        url("nomination_decide", nomination.pk),
        {"decision": "promote", "rationale": "Ready.", "version": nomination.version},
    )


@pytest.mark.parametrize("case", EXPECTED)
def test_every_role_on_every_page(org, member, hr_on_ladder, as_user, case):
    seen = {}
    for role in ROLES:  # each in a savepoint rolled back: every role meets the same data
        with transaction.atomic():
            client = as_user(user_of(org, member, hr_on_ladder, role))
            seen[role] = outcome(request_for(org, member, client, case))
            transaction.set_rollback(True)

    assert seen == dict(zip(ROLES, EXPECTED[case], strict=True))


def test_a_refusal_to_nominate_says_why(org, member, as_user):
    past = timezone.localdate() - datetime.timedelta(days=1)
    round = open_round(org, member, nomination_deadline=past)

    response = as_user(org.manager.user).get(url("nominate", org.report.pk, f"?round={round.pk}"))

    assert response.status_code == 403
    assert "Nominations for H1 promotions closed on" in response.content.decode()


def test_a_round_nobody_may_see_is_a_404(org, member, as_user):
    draft = open_round(org, member, state="draft")

    response = as_user(org.manager.user).get(url("nominate", org.report.pk, f"?round={draft.pk}"))

    assert response.status_code == 404


# Nominating ---------------------------------------------------------------------------------


def test_nominate_form_offers_the_next_levels_with_readiness_and_a_box_per_criterion(
    org, member, as_user
):
    round = open_round(org, member)

    response = as_user(org.manager.user).get(url("nominate", org.report.pk))
    html = response.content.decode()

    assert response.status_code == 200
    assert f'name="round" value="{round.pk}"' in html  # one round: hidden, its name shown
    assert "In <strong>H1 promotions</strong>" in html
    for goal in selectors.targets_for(org.report):
        assert f'value="{goal.value}"' in html
        assert goal.label in html
    assert "readiness-building" in html
    assert "Not yet" in html
    for criterion in org.ladder.promotion_criteria.all():
        assert f'name="case_{criterion.pk}"' in html
        assert criterion.name in html
    assert 'maxlength="1500"' in html


def test_several_rounds_are_a_choice(org, member, as_user):
    open_round(org, member, name="First")
    open_round(org, member, name="Second")

    html = as_user(org.manager.user).get(url("nominate", org.report.pk)).content.decode()

    assert '<select name="round"' in html
    assert ">First</option>" in html
    assert ">Second</option>" in html


def test_manager_nominates(org, member, as_user):
    round = open_round(org, member)
    client = as_user(org.manager.user)
    goal = target(org)

    response = client.post(
        url("nominate", org.report.pk), case_data(org, round=round.pk, target=goal.value)
    )

    nomination = Nomination.objects.get(round=round, employee=org.report)
    assert response.status_code == 302
    assert response["Location"] == nomination.get_absolute_url()
    assert nomination.target_level == goal.level
    assert nomination.nominated_by == org.manager.user
    assert [c["case"] for c in nomination.cases] == list(cases(org).values())
    page = client.get(response["Location"]).content.decode()
    assert f"Remi Report is nominated for {goal.level.name} in H1 promotions." in page


def test_a_missing_case_is_explained_and_the_typed_ones_kept(org, member, as_user):
    round = open_round(org, member)
    criteria = list(org.ladder.promotion_criteria.all())
    data = case_data(org, round=round.pk, target=target(org).value)
    data[f"case_{criteria[0].pk}"] = "   "

    response = as_user(org.manager.user).post(url("nominate", org.report.pk), data)
    html = response.content.decode()

    assert response.status_code == 400
    assert f"Write a short case for {criteria[0].name}." in html
    assert f'To fix: <a class="alert-link" href="#id_case_{criteria[0].pk}">' in html
    for criterion in criteria[1:]:
        assert f"{CASE_TEXT} ({criterion.name})" in html
    assert f'value="{target(org).value}" checked' in html
    assert not Nomination.objects.exists()


def test_a_target_that_is_not_a_next_level_is_refused(org, member, as_user):
    round = open_round(org, member)
    director = org.ladder.levels.get(key="director")
    track = org.ladder.tracks.get(key="management")
    data = case_data(org, round=round.pk, target=f"{track.pk}:{director.pk}")

    response = as_user(org.manager.user).post(url("nominate", org.report.pk), data)
    html = response.content.decode()

    assert response.status_code == 400
    assert "Choose one of the next levels listed." in html
    assert f"{CASE_TEXT} (" in html
    assert not Nomination.objects.exists()


def test_nominating_someone_already_nominated_says_so(org, member, as_user, nominating):
    round = nominating.round
    client = as_user(org.boss.user)

    page = client.get(url("nominate", org.report.pk, f"?round={round.pk}"))
    post = client.post(
        url("nominate", org.report.pk), case_data(org, round=round.pk, target=target(org).value)
    )

    assert page.status_code == 302
    assert page["Location"] == nominating.get_absolute_url()
    assert post.status_code == 400
    assert "Remi Report is already nominated in H1 promotions." in post.content.decode()
    assert f"{CASE_TEXT} (" in post.content.decode()
    assert Nomination.objects.count() == 1


def test_without_an_open_round_a_manager_sees_what_to_do(org, as_user):
    response = as_user(org.manager.user).get(url("nominate", org.report.pk))
    html = response.content.decode()

    assert response.status_code == 200
    assert "No promotion round covering Remi Report is taking nominations; HR opens rounds." in html
    assert f'href="{org.report.get_absolute_url()}"' in html


def test_the_person_puts_themselves_forward_where_the_round_allows_it(org, member, as_user):
    round = open_round(org, member, self_nomination=True)
    client = as_user(org.report.user)

    page = client.get(url("nominate", org.report.pk))
    response = client.post(
        url("nominate", org.report.pk), case_data(org, round=round.pk, target=target(org).value)
    )

    assert page.status_code == 200
    assert "Put yourself forward for promotion" in page.content.decode()
    nomination = Nomination.objects.get()
    assert nomination.self_nominated
    assert response["Location"] == nomination.get_absolute_url()


def test_the_person_without_a_round_open_to_them_is_refused(org, member, as_user):
    open_round(org, member)

    response = as_user(org.report.user).get(url("nominate", org.report.pk))

    assert response.status_code == 403
    assert "No round taking nominations lets you put yourself forward" in (
        response.content.decode()
    )


def test_hr_on_the_ladder_never_nominates_themselves(org, member, hr_on_ladder, as_user):
    open_round(org, member)

    response = as_user(hr_on_ladder.user).get(url("nominate", hr_on_ladder.pk))

    assert response.status_code == 403


# Reading a nomination ------------------------------------------------------------------------


def test_manager_reads_the_case_and_the_live_packet_while_nominating(org, as_user, nominating):
    response = as_user(org.manager.user).get(url("nomination", nominating.pk))
    html = response.content.decode()

    assert response.status_code == 200
    assert f"{CASE_TEXT} (" in html
    assert "As it stands today; frozen when nominations close" in html
    assert "Packet for " in html
    assert "readiness-" in html
    assert url("nomination_edit", nominating.pk) in html
    assert url("nomination_withdraw", nominating.pk) in html
    assert 'id="decide"' not in html
    assert "History" not in html
    assert "Committee notes" not in html
    assert "Why you back it" not in html  # the nominator's own nomination: not for them


def test_skip_level_can_endorse(org, as_user, nominating):
    html = as_user(org.boss.user).get(url("nomination", nominating.pk)).content.decode()

    assert "Why you back it" in html
    assert url("nomination_endorse", nominating.pk) in html


def test_committee_calibrates_with_the_frozen_packet_and_the_decision_form(
    org, member, as_user, calibrating
):
    response = as_user(member.user).get(url("nomination", calibrating.pk))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'id="decide"' in html
    assert f'name="version" value="{calibrating.version}"' in html
    assert "Frozen on " in html
    assert "when nominations closed" in html
    assert NOTES in html
    assert RATIONALE in html
    assert FEEDBACK in html
    assert "Decision recorded" in html
    assert "Packet frozen" in html
    assert url("nomination_edit", calibrating.pk) not in html


def test_the_manager_never_sees_the_committee_notes_or_decision_while_calibrating(
    org, as_user, calibrating
):
    html = as_user(org.manager.user).get(url("nomination", calibrating.pk)).content.decode()

    assert NOTES not in html
    assert RATIONALE not in html
    assert FEEDBACK not in html
    assert "Promote" not in html
    assert "the outcome shows here when the round is finalised" in html


def test_the_person_never_sees_their_self_nomination_decided_before_finalise(org, member, as_user):
    round = closing_today(org, member, self_nomination=True)
    nomination = nominate(org, round, by=org.report.user)
    services.close_nominations(round=round, by=org.hr)
    services.decide(
        nomination=nomination,
        by=member.user,
        decision=Nomination.Decision.PROMOTE,
        rationale=RATIONALE,
        feedback=FEEDBACK,
        discussion=NOTES,
    )

    response = as_user(org.report.user).get(url("nomination", nomination.pk))
    html = response.content.decode()

    assert response.status_code == 200
    assert f"{CASE_TEXT} (" in html  # their own case
    for hidden in (NOTES, RATIONALE, FEEDBACK, "Promote", "Packet for", "History"):
        assert hidden not in html
    assert "once the round is finalised" in html


def test_after_finalise_the_person_reads_the_outcome_feedback_and_reason_only(
    org, as_user, finalised
):
    html = as_user(org.report.user).get(url("nomination", finalised.pk)).content.decode()

    level = finalised.target_level.name
    effective = finalised.round.effective_on
    assert f"Promoted to {level} from {effective.day} {effective:%b %Y}" in html
    assert FEEDBACK in html
    # The reason for a promotion: their level history gives it too.
    assert RATIONALE in html
    for hidden in (NOTES, "History", "Packet for", CASE_TEXT):
        assert hidden not in html


def test_the_reason_for_not_this_round_stays_with_the_committee(org, as_user, finalised):
    Nomination.objects.filter(pk=finalised.pk).update(decision="not_this_round")

    html = as_user(org.report.user).get(url("nomination", finalised.pk)).content.decode()

    assert "Not this round" in html
    assert FEEDBACK in html
    assert RATIONALE not in html


def test_after_finalise_the_manager_reads_outcome_and_rationale_not_the_notes(
    org, as_user, finalised
):
    html = as_user(org.manager.user).get(url("nomination", finalised.pk)).content.decode()

    assert "Promoted to" in html
    assert FEEDBACK in html
    assert RATIONALE in html
    assert NOTES not in html
    assert "History" not in html


def test_nomination_page_costs_the_same_with_many_endorsements_and_changes(
    org, member, as_user, calibrating
):
    client = as_user(member.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("nomination", calibrating.pk))
        assert response.status_code == 200
        return len(queries)

    few = count()
    for n in range(30):
        Endorsement.objects.create(nomination=calibrating, author_name=f"E{n}", text="Yes.")
        NominationChange.objects.create(
            nomination=calibrating, action="edited", changed_by_name=f"C{n}"
        )
    many = count()

    assert few == many
    # session, user, HR group, the nomination with its round, people and levels, the
    # committee, the person's visibility (their manager chain), the endorsements, the
    # history; the packet is frozen, so read from the nomination itself
    assert many <= 12


def test_a_live_packet_costs_a_bounded_number_of_queries(org, as_user, nominating):
    client = as_user(org.manager.user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("nomination", nominating.pk))

    assert response.status_code == 200
    # the viewer and their rights as above, plus the packet: the person, readiness (five),
    # shared evidence, the latest review, the assignments
    assert len(queries) <= 30


# Changing and withdrawing ------------------------------------------------------------------


def test_edit_is_prefilled_and_saves(org, as_user, nominating):
    client = as_user(org.manager.user)

    page = client.get(url("nomination_edit", nominating.pk)).content.decode()
    response = client.post(
        url("nomination_edit", nominating.pk),
        case_data(org, "Changed", target=target(org).value),
    )

    assert f"{CASE_TEXT} (" in page
    assert f'value="{target(org).value}" checked' in page
    assert 'name="round"' not in page
    assert response.status_code == 302
    nominating.refresh_from_db()
    assert nominating.cases[0]["case"].startswith("Changed")


def test_edit_with_a_missing_case_keeps_the_rest(org, as_user, nominating):
    criteria = list(org.ladder.promotion_criteria.all())
    data = case_data(org, "Changed", target=target(org).value)
    data[f"case_{criteria[-1].pk}"] = ""

    response = as_user(org.manager.user).post(url("nomination_edit", nominating.pk), data)

    assert response.status_code == 400
    assert f"Write a short case for {criteria[-1].name}." in response.content.decode()
    assert f"Changed ({criteria[0].name})" in response.content.decode()
    nominating.refresh_from_db()
    assert nominating.cases[0]["case"].startswith(CASE_TEXT)


def test_withdraw_asks_then_deletes(org, as_user, nominating):
    client = as_user(org.manager.user)

    page = client.get(url("nomination_withdraw", nominating.pk))
    response = client.post(url("nomination_withdraw", nominating.pk))

    assert "Withdraw the nomination of Remi Report?" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == nominating.round.get_absolute_url()
    assert not Nomination.objects.exists()


# Endorsing ---------------------------------------------------------------------------------


def test_endorsing_twice_is_refused_and_the_text_kept(org, as_user, nominating):
    client = as_user(org.boss.user)

    first = client.post(url("nomination_endorse", nominating.pk), {"text": "Strong case."})
    second = client.post(url("nomination_endorse", nominating.pk), {"text": "Again, yes."})

    assert first.status_code == 302
    assert second.status_code == 400
    html = second.content.decode()
    assert "You have already endorsed this nomination." in html
    assert "Again, yes." in html
    assert Endorsement.objects.count() == 1


def test_an_empty_endorsement_asks_for_words(org, as_user, nominating):
    response = as_user(org.boss.user).post(url("nomination_endorse", nominating.pk), {"text": " "})

    assert response.status_code == 400
    assert "Say in a sentence or two why you back it." in response.content.decode()


def test_endorsement_is_listed(org, as_user, nominating):
    services.endorse(nomination=nominating, by=org.boss.user, text="Ready for it.")

    html = as_user(org.manager.user).get(url("nomination", nominating.pk)).content.decode()

    assert "Ready for it." in html
    assert "Bo Director" in html


# Deciding ----------------------------------------------------------------------------------


def decide_data(nomination, **extra):
    data = {
        "decision": "not_this_round",
        "rationale": "Needs a second half of evidence.",
        "feedback": "Keep going.",
        "discussion": "Close call.",
        "version": nomination.version,
    }
    data.update(extra)
    return data


def test_deciding_returns_to_a_local_next_with_a_message(org, member, as_user, calibrating):
    client = as_user(member.user)
    back = url("round", calibrating.round.pk)

    response = client.post(
        url("nomination_decide", calibrating.pk), decide_data(calibrating, next=back)
    )

    assert response.status_code == 302
    assert response["Location"] == back
    calibrating.refresh_from_db()
    assert calibrating.decision == Nomination.Decision.NOT_THIS_ROUND
    assert calibrating.decided_by == member.user
    page = client.get(url("nomination", calibrating.pk)).content.decode()
    assert "Decision saved for Remi Report." in page


def test_the_decision_form_carries_where_the_decide_link_came_from(
    org, member, as_user, calibrating
):
    back = url("calibrate", calibrating.round.pk) + f"?level={calibrating.target_level_id}"

    html = (
        as_user(member.user).get(url("nomination", calibrating.pk), {"next": back}).content.decode()
    )

    assert f'name="next" value="{escape(back)}"' in html


def test_deciding_never_follows_a_next_elsewhere(org, member, as_user, calibrating):
    response = as_user(member.user).post(
        url("nomination_decide", calibrating.pk),
        decide_data(calibrating, next="https://elsewhere.example/"),
    )

    assert response["Location"] == calibrating.get_absolute_url()


def test_a_decision_without_a_rationale_keeps_the_typed_text(org, member, as_user, calibrating):
    response = as_user(member.user).post(
        url("nomination_decide", calibrating.pk),
        decide_data(calibrating, rationale="", feedback="Typed feedback kept."),
    )
    html = response.content.decode()

    assert response.status_code == 400
    assert "Say why, in a sentence or two" in html
    assert "Typed feedback kept." in html
    calibrating.refresh_from_db()
    assert calibrating.decision == Nomination.Decision.PROMOTE


def test_a_stale_decision_shows_the_saved_one_and_keeps_the_typed_text(
    org, member, as_user, calibrating
):
    seen = calibrating.version
    services.decide(
        nomination=calibrating,
        by=org.hr,
        decision=Nomination.Decision.PROMOTE,
        rationale="HR's newer rationale.",
        discussion="HR's newer notes.",
    )

    response = as_user(member.user).post(
        url("nomination_decide", calibrating.pk),
        decide_data(calibrating, version=seen, rationale="My typed rationale."),
    )
    html = response.content.decode()

    calibrating.refresh_from_db()
    assert response.status_code == 409
    assert "This decision was saved again after you opened the page" in html
    assert "HR&#x27;s newer rationale." in html  # the saved one, shown
    assert "My typed rationale." in html  # what they typed, kept
    assert f'name="version" value="{calibrating.version}"' in html  # saving again goes
    assert calibrating.rationale == "HR's newer rationale."


# /me/ and the person page --------------------------------------------------------------------


def test_me_hides_a_managers_nomination_until_the_round_is_finalised(org, as_user, calibrating):
    client = as_user(org.report.user)

    before = client.get(reverse("assessments:me")).content.decode()
    services.finalise(round=calibrating.round, by=org.hr)
    after = client.get(reverse("assessments:me")).content.decode()

    assert "Promotion rounds" not in before
    assert "H1 promotions" not in before
    section = after.split('id="promotion-heading"', 1)[1].split("</section>", 1)[0]
    assert f"Promoted to {calibrating.target_level.name} from" in section
    assert FEEDBACK in section
    assert RATIONALE not in section
    assert NOTES not in after


def test_me_offers_to_put_yourself_forward_and_then_says_when_the_outcome_shows(
    org, member, as_user
):
    round = open_round(org, member, self_nomination=True)
    client = as_user(org.report.user)

    offer = client.get(reverse("assessments:me")).content.decode()
    nominate(org, round, by=org.report.user)
    waiting = client.get(reverse("assessments:me")).content.decode()

    link = url("nominate", org.report.pk, f"?round={round.pk}")
    assert "Put yourself forward" in offer
    assert link in offer
    assert link not in waiting
    assert "The outcome shows here once the round is finalised." in waiting


def test_me_says_nothing_about_rounds_without_self_nomination(org, member, as_user):
    open_round(org, member)

    html = as_user(org.report.user).get(reverse("assessments:me")).content.decode()

    assert "Promotion rounds" not in html


def test_person_page_offers_to_nominate_then_shows_the_nomination(org, member, as_user):
    round = open_round(org, member)
    client = as_user(org.manager.user)

    before = client.get(reverse("assessments:person", kwargs={"pk": org.report.pk}))
    nomination = nominate(org, round)
    after = client.get(reverse("assessments:person", kwargs={"pk": org.report.pk}))

    assert "Nominate for promotion" in before.content.decode()
    assert url("nominate", org.report.pk, f"?round={round.pk}") in before.content.decode()
    html = after.content.decode()
    assert "Nominate for promotion" not in html
    assert f"Nominated for {nomination.target_level.name} in H1 promotions" in html
    assert nomination.get_absolute_url() in html


def test_person_page_shows_the_outcome_once_finalised(org, as_user, finalised):
    html = (
        as_user(org.manager.user)
        .get(reverse("assessments:person", kwargs={"pk": org.report.pk}))
        .content.decode()
    )

    assert f"Promoted to {finalised.target_level.name} from" in html


def test_person_page_for_hr_offers_to_nominate(org, member, as_user):
    open_round(org, member)

    html = (
        as_user(org.hr)
        .get(reverse("assessments:person", kwargs={"pk": org.report.pk}))
        .content.decode()
    )

    assert "Nominate for promotion" in html


def test_person_page_query_count_does_not_grow_with_nominations(org, member, as_user):
    client = as_user(org.manager.user)
    address = reverse("assessments:person", kwargs={"pk": org.report.pk})

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(address)
        return len(queries)

    nominate(org, open_round(org, member, name="R0"))
    few = count()
    for n in range(1, 8):
        nominate(org, open_round(org, member, name=f"R{n}"))
    open_round(org, member, name="Open")

    # one more open round to ask about (whether the manager is above Remi), no more
    assert count() <= few + 1


def test_where_people_put_themselves_forward_they_are_told_someone_else_did(org, member, as_user):
    # Otherwise a missing "Put yourself forward" would tell them, and nothing else would.
    round = open_round(org, member)
    Round.objects.filter(pk=round.pk).update(self_nomination=True)
    nomination = nominate(org, Round.objects.get(pk=round.pk))
    client = as_user(org.report.user)

    me = client.get(reverse("assessments:me")).content.decode()
    page = client.get(url("nomination", nomination.pk))

    section = me.split('id="promotion-heading"', 1)[1].split("</section>", 1)[0]
    assert "Mina Manager nominated you for Senior Product Manager" in section
    assert "Put yourself forward" not in section
    assert page.status_code == 200
    html = page.content.decode()
    for hidden in (CASE_TEXT, "Packet for", "History", "Committee notes"):
        assert hidden not in html


def test_changing_a_nomination_after_nominations_closed_says_why(org, as_user, calibrating):
    response = as_user(org.manager.user).get(url("nomination_edit", calibrating.pk))

    assert response.status_code == 403
    assert "the case is frozen as it stood" in response.content.decode()

"""Who sees and does what in promotion rounds: `access.restrict` (many rows, in the
database) and `access.can` (one object) give the same answer for every round and
nomination, every person and every action; and the answers are the rules."""

from types import SimpleNamespace

import pytest

from assessments import access
from assessments import services as people
from rounds.models import Nomination, Round

from ..conftest import place
from ..factories import UserFactory, make_round

pytestmark = pytest.mark.django_db

STATES = ["draft", "nominating", "calibrating", "finalised"]
ROUND_ACTIONS = [access.VIEW, access.CALIBRATE, access.RUN]
NOMINATION_ACTIONS = [access.VIEW, access.CHANGE, access.DECIDE]


def nominated(round, employee, by, target):
    """A nomination written directly (the rules of reading it do not depend on how it was
    made; the services are tested elsewhere)."""
    level = employee.ladder.levels.get(key=target)
    return Nomination.objects.create(
        round=round,
        employee=employee,
        from_level=employee.level,
        target_level=level,
        target_track=employee.track,
        nominated_by=by,
        cases=[],
    )


@pytest.fixture
def world(org, hr_on_ladder):
    """A round in each state, each with four nominations: the report by the manager, the
    teammate by themselves, HR on the ladder by the boss, and a committee member (Cara,
    below the boss) by the boss; and one more round taking nominations that people may not
    put themselves forward in. The committee: the boss and Cara."""
    cara = place(org.ladder, "cara", "Cara Committee", "senior-pm", manager=org.boss)
    leaver = place(org.ladder, "leaver", "Lee Leaver", "pm", manager=org.manager)
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    rounds, nominations = {}, {}
    for state in STATES:
        round = make_round(by=org.hr, state=state, name=state, self_nomination=True)
        round.committee.set([org.boss.user, cara.user])
        rounds[state] = round
        nominations[state] = SimpleNamespace(
            by_manager=nominated(round, org.report, org.manager.user, "senior-pm"),
            self_made=nominated(round, org.teammate, org.teammate.user, "pm"),
            hr_nominee=nominated(round, hr_on_ladder, org.boss.user, "senior-pm"),
            committee_nominee=nominated(round, cara, org.boss.user, "staff-pm"),
        )
    closed = make_round(by=org.hr, state="nominating", name="closed to self-nomination")
    closed.committee.set([org.boss.user])
    rounds["closed"] = closed
    nominated(closed, org.stranger, org.other_manager.user, "senior-pm")
    people.deactivate_employee(employee=leaver)
    users = {
        "boss": org.boss.user,
        "manager": org.manager.user,
        "report": org.report.user,
        "teammate": org.teammate.user,
        "other_manager": org.other_manager.user,
        "stranger": org.stranger.user,
        "hr": org.hr,
        "hr_on_ladder": hr_on_ladder.user,
        "superuser": superuser,
        "committee": cara.user,
        "leaver": leaver.user,
        "outsider": org.outsider,
    }
    return SimpleNamespace(org=org, rounds=rounds, nominations=nominations, users=users)


def fresh_user(world, name):
    """The user anew from the database, so no cached role carries over between checks."""
    return type(world.users[name]).objects.get(pk=world.users[name].pk)


@pytest.mark.parametrize("name", [
    "boss", "manager", "report", "teammate", "other_manager", "stranger", "hr",
    "hr_on_ladder", "superuser", "committee", "leaver", "outsider",
])  # fmt: skip
def test_restrict_and_can_agree_for_everyone(world, name):
    user = fresh_user(world, name)
    for action in ROUND_ACTIONS:
        listed = set(access.restrict(Round.objects.all(), user, action))
        one_by_one = {r for r in Round.objects.all() if access.can(user, action, r)}
        assert listed == one_by_one, (name, action)
    for action in NOMINATION_ACTIONS:
        listed = set(access.restrict(Nomination.objects.all(), user, action))
        one_by_one = {
            n
            for n in Nomination.objects.select_related("round", "employee")
            if access.can(user, action, n)
        }
        assert listed == one_by_one, (name, action)


def rounds_seen(world, name, action=access.VIEW):
    user = fresh_user(world, name)
    return {r.name for r in access.restrict(Round.objects.all(), user, action)}


def test_a_draft_round_is_for_hr_alone(world):
    for name in world.users:
        seen = "draft" in rounds_seen(world, name)
        assert seen == (name in {"hr", "hr_on_ladder", "superuser"}), name


def test_who_sees_which_round(world):
    every_open = {"nominating", "calibrating", "finalised"}
    # Managers and the committee see every open round; people on the ladder the rounds
    # they may put themselves forward in; a committee member also the one they calibrate.
    assert rounds_seen(world, "manager") == every_open | {"closed to self-nomination"}
    assert rounds_seen(world, "boss") == every_open | {"closed to self-nomination"}
    assert rounds_seen(world, "report") == every_open
    assert rounds_seen(world, "committee") == every_open
    assert rounds_seen(world, "outsider") == set()
    assert rounds_seen(world, "leaver") == set()
    assert rounds_seen(world, "hr") == every_open | {"draft", "closed to self-nomination"}


def test_only_hr_runs_and_hr_and_the_committee_calibrate(world):
    for name in world.users:
        ran = rounds_seen(world, name, access.RUN)
        calibrated = rounds_seen(world, name, access.CALIBRATE)
        if name in {"hr", "hr_on_ladder", "superuser"}:
            assert ran == {
                "draft",
                "nominating",
                "calibrating",
                "finalised",
                "closed to self-nomination",
            }
            assert calibrated == {"calibrating", "finalised"}, name
        elif name in {"boss", "committee"}:
            assert (ran, calibrated) == (set(), {"calibrating", "finalised"}), name
        else:
            assert (ran, calibrated) == (set(), set()), name


def can(world, name, action, state, which):
    nomination = Nomination.objects.select_related("round", "employee").get(
        pk=getattr(world.nominations[state], which).pk
    )
    return access.can(fresh_user(world, name), action, nomination)


def test_the_person_sees_a_managers_nomination_only_once_finalised(world):
    closed = Nomination.objects.select_related("round", "employee").get(
        round=world.rounds["closed"]
    )
    assert not access.can(fresh_user(world, "stranger"), access.VIEW, closed)
    finalised = world.rounds["closed"]
    finalised.state = Round.State.FINALISED
    finalised.save(update_fields=["state"])
    closed.refresh_from_db()
    assert access.can(fresh_user(world, "stranger"), access.VIEW, closed)


def test_where_people_may_put_themselves_forward_they_see_that_someone_else_did(world):
    # Otherwise the missing "Put yourself forward" would tell them anyway.
    for state in STATES:
        assert can(world, "report", access.VIEW, state, "by_manager")
        user = fresh_user(world, "report")
        nomination = world.nominations[state].by_manager
        nomination = Nomination.objects.select_related("round", "employee").get(pk=nomination.pk)
        seen = access.sight(user, nomination)
        assert not seen & {access.CASE, access.PACKET, access.DELIBERATION}, state
        assert (access.OUTCOME in seen) == (state == "finalised"), state
        assert not can(world, "report", access.CHANGE, state, "by_manager")
        assert not can(world, "report", access.DECIDE, state, "by_manager")
        # Their manager and the boss see it throughout.
        assert can(world, "manager", access.VIEW, state, "by_manager")
        assert can(world, "boss", access.VIEW, state, "by_manager")


def test_an_unrelated_manager_and_a_peer_never_see_it(world):
    for state in STATES:
        for name in ("other_manager", "stranger", "teammate", "outsider", "leaver"):
            assert not can(world, name, access.VIEW, state, "by_manager"), (name, state)


def test_a_self_nomination_is_seen_by_its_author_and_changed_while_nominating(world):
    for state in STATES:
        assert can(world, "teammate", access.VIEW, state, "self_made")
        assert can(world, "teammate", access.CHANGE, state, "self_made") == (state == "nominating")
        assert not can(world, "teammate", access.DECIDE, state, "self_made")
        assert can(world, "manager", access.CHANGE, state, "self_made") == (state == "nominating")


def test_nobody_acts_on_their_own_nomination_hr_and_committee_included(world):
    for state in STATES:
        for name, which in (("hr_on_ladder", "hr_nominee"), ("committee", "committee_nominee")):
            # (told they are nominated: these rounds take self-nominations)
            assert can(world, name, access.VIEW, state, which)
            assert not can(world, name, access.CHANGE, state, which)
            assert not can(world, name, access.DECIDE, state, which)
    # Each decides the others' while calibrating.
    assert can(world, "hr_on_ladder", access.DECIDE, "calibrating", "committee_nominee")
    assert can(world, "committee", access.DECIDE, "calibrating", "hr_nominee")
    assert not can(world, "committee", access.DECIDE, "finalised", "hr_nominee")
    assert not can(world, "manager", access.DECIDE, "calibrating", "by_manager")


def test_nobody_reads_the_committees_notes_or_reasons_about_themselves(world):
    for state in STATES:
        for name, which in (
            ("hr_on_ladder", "hr_nominee"),
            ("committee", "committee_nominee"),
            ("report", "by_manager"),
            ("teammate", "self_made"),
        ):
            nomination = Nomination.objects.select_related("round", "employee").get(
                pk=getattr(world.nominations[state], which).pk
            )
            seen = access.sight(fresh_user(world, name), nomination)
            assert not seen & {access.DELIBERATION, access.PACKET}, (name, state)
            assert (access.OUTCOME in seen) == (state == "finalised"), (name, state)
            # The reason for a promotion is in their level history; any other stays hidden.
            promoted = state == "finalised" and nomination.decision == Nomination.Decision.PROMOTE
            assert (access.RATIONALE in seen) == promoted, (name, state)


def test_the_committee_reads_every_nomination_of_its_rounds(world):
    seen = {
        (n.round.name, n.employee.full_name)
        for n in access.restrict(
            Nomination.objects.select_related("round", "employee"),
            fresh_user(world, "committee"),
            access.VIEW,
        )
    }
    others = {"Remi Report", "Tea Mate", "Harriet People"}
    expected = {(state, name) for state in STATES[1:] for name in others}
    # (A round in draft takes no nominations: those above exist only for the sweep.) Their
    # own nomination they see as its person does: these rounds take self-nominations.
    assert {row for row in seen if row[0] != "draft"} == expected | {
        (state, "Cara Committee") for state in STATES[1:]
    }


def test_a_deactivated_person_sees_nothing(world):
    user = fresh_user(world, "leaver")
    for action in NOMINATION_ACTIONS:
        assert not access.restrict(Nomination.objects.all(), user, action).exists()
    for action in ROUND_ACTIONS:
        assert not access.restrict(Round.objects.all(), user, action).exists()

"""The rules of promotion rounds, through `rounds.services` and `rounds.selectors`: who
moves a round on and in what order, who a round covers and who calibrates it, who
nominates, endorses and decides, and what each refusal leaves behind (nothing)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments import access
from assessments import services as people
from assessments.models import Employee
from levels.models import Level
from rounds import selectors, services
from rounds.models import Endorsement, Nomination, NominationChange, Round

from ..conftest import place
from ..factories import UserFactory, build_ladder, make_round

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def day(offset):
    return TODAY + datetime.timedelta(days=offset)


def level(org, key):
    return org.ladder.levels.get(key=key)


def cases(ladder, text="A clear case with examples."):
    return {criterion.pk: text for criterion in ladder.promotion_criteria.all()}


def put_forward(round, employee, by, target="senior-pm", **extra):
    """Nominate `employee` for `target` on their own track, with a case for each criterion."""
    fields = {
        "round": round,
        "employee": employee,
        "target_level": employee.ladder.levels.get(key=target),
        "target_track": employee.track,
        "cases": cases(employee.ladder),
        "by": by,
    }
    fields.update(extra)
    return services.nominate(**fields)


def dates(**overrides):
    values = {"nomination_deadline": day(7), "calibration_on": day(14), "effective_on": day(21)}
    values.update(overrides)
    return values


def new_round(by, **fields):
    values = {"name": "H1 promotions", **dates()}
    values.update(fields)
    return services.create_round(by=by, **values)


def today_round(org, **fields):
    """A round taking nominations whose dates are all today: it can be closed, decided and
    finalised within the test."""
    values = {"nomination_deadline": TODAY, "calibration_on": TODAY, "effective_on": TODAY}
    values.update(fields)
    return make_round(by=org.hr, **values)


def state_of(round):
    return Round.objects.get(pk=round.pk).state


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture(params=["hr", "hr_on_ladder", "superuser"])
def runner(request, org):
    """Each kind of person who runs rounds: HR, HR who is also on the ladder, a superuser."""
    if request.param == "hr":
        return org.hr
    return (
        request.getfixturevalue("hr_on_ladder").user
        if request.param == "hr_on_ladder"
        else request.getfixturevalue("superuser")
    )


@pytest.fixture(params=["manager", "committee member", "person"])
def not_hr(request, org):
    """People who do not run rounds: a manager, a committee member who is not HR (the boss
    is on the default committee) and the person themselves."""
    return {
        "manager": org.manager.user,
        "committee member": org.boss.user,
        "person": org.report.user,
    }[request.param]


# Who moves a round on -------------------------------------------------------------------------


def test_hr_takes_a_round_from_draft_to_finalised(org, runner):
    round = new_round(runner, nomination_deadline=TODAY, calibration_on=TODAY, effective_on=TODAY)
    assert round.state == Round.State.DRAFT
    assert round.created_by == runner

    round = services.update_round(round=round, by=runner, name="  H2 promotions ")
    assert round.name == "H2 promotions"
    services.open_nominations(round=round, by=runner)
    assert state_of(round) == Round.State.NOMINATING
    services.close_nominations(round=round, by=runner)
    assert state_of(round) == Round.State.CALIBRATING
    assert Round.objects.get(pk=round.pk).nominations_closed_at is not None
    result = services.finalise(round=round, by=runner)

    saved = Round.objects.get(pk=round.pk)
    assert (saved.state, saved.finalised_by, result.already) == (
        Round.State.FINALISED,
        runner,
        False,
    )


def test_nobody_but_hr_creates_or_moves_a_round(org, not_hr):
    assert org.boss.user in selectors.default_committee()  # a committee member indeed
    with pytest.raises(PermissionDenied):
        new_round(not_hr)
    assert not Round.objects.exists()

    draft = make_round(by=org.hr, state="draft")
    nominating = make_round(by=org.hr, state="nominating")
    calibrating = make_round(by=org.hr, state="calibrating")
    attempts = [
        (services.open_nominations, draft),
        (services.close_nominations, nominating),
        (services.finalise, calibrating),
    ]
    for action, round in attempts:
        with pytest.raises(PermissionDenied):
            action(round=round, by=not_hr)
    for round in (draft, nominating, calibrating):
        with pytest.raises(PermissionDenied):
            services.update_round(round=round, by=not_hr, name="Mine now")

    assert [state_of(r) for r in (draft, nominating, calibrating)] == [
        "draft",
        "nominating",
        "calibrating",
    ]
    assert set(Round.objects.values_list("name", flat=True)) == {"Test round"}


WRONG_STATE = [
    ("open_nominations", "nominating"),
    ("open_nominations", "calibrating"),
    ("open_nominations", "finalised"),
    ("close_nominations", "draft"),
    ("close_nominations", "calibrating"),
    ("close_nominations", "finalised"),
    ("finalise", "draft"),
    ("finalise", "nominating"),
]


def test_a_new_round_or_a_moved_deadline_cannot_be_in_the_past(org):
    with pytest.raises(ValidationError) as refused:
        new_round(org.hr, nomination_deadline=day(-1), calibration_on=TODAY)
    assert "nomination_deadline" in refused.value.message_dict
    round = new_round(org.hr)
    with pytest.raises(ValidationError):
        services.update_round(round=round, by=org.hr, nomination_deadline=day(-1))
    # Once nominations have closed, the deadline is history and may stay in the past.
    calibrating = make_round(by=org.hr, state="calibrating")
    services.update_round(round=calibrating, by=org.hr, name="Renamed")
    assert Round.objects.get(pk=calibrating.pk).name == "Renamed"


@pytest.mark.parametrize(("action", "state"), WRONG_STATE)
def test_a_round_moves_only_forwards_and_one_step_at_a_time(org, action, state):
    round = make_round(by=org.hr, state=state)

    with pytest.raises(ValidationError):
        getattr(services, action)(round=round, by=org.hr)

    saved = Round.objects.get(pk=round.pk)
    assert saved.state == state
    assert (saved.finalised_at, saved.nominations_closed_at) == (None, None)


def test_opening_refuses_a_deadline_that_has_passed(org):
    round = make_round(by=org.hr, state="draft", nomination_deadline=day(-1), calibration_on=TODAY)

    with pytest.raises(ValidationError, match="deadline has passed"):
        services.open_nominations(round=round, by=org.hr)

    assert state_of(round) == Round.State.DRAFT
    services.update_round(round=round, by=org.hr, nomination_deadline=TODAY)
    services.open_nominations(round=round, by=org.hr)
    assert state_of(round) == Round.State.NOMINATING


@pytest.mark.parametrize(
    ("wrong", "field"),
    [
        ({"calibration_on": day(6)}, "calibration_on"),
        ({"effective_on": day(13)}, "effective_on"),
        ({"name": "   "}, "name"),
        ({"name": "Promotions\x1b[2J"}, "name"),
        ({"name": "P" * 121}, "name"),
    ],
)
def test_a_round_with_bad_dates_or_name_is_refused_by_field(org, wrong, field):
    with pytest.raises(ValidationError) as refused:
        new_round(org.hr, **wrong)
    assert field in refused.value.message_dict
    assert not Round.objects.exists()

    round = new_round(org.hr)
    with pytest.raises(ValidationError) as refused:
        services.update_round(round=round, by=org.hr, **wrong)
    assert field in refused.value.message_dict
    saved = Round.objects.get(pk=round.pk)
    assert (saved.name, saved.calibration_on, saved.effective_on) == (
        "H1 promotions",
        day(14),
        day(21),
    )


def test_a_round_cannot_cover_someone_who_has_left(org):
    people.deactivate_employee(employee=org.other_manager)
    with pytest.raises(ValidationError) as refused:
        new_round(org.hr, org_root=org.other_manager)
    assert "org_root" in refused.value.message_dict


def test_the_database_keeps_the_dates_in_order(org):
    for wrong in ({"calibration_on": day(6)}, {"effective_on": day(13)}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Round.objects.create(name="Bad", created_by=org.hr, **dates(**wrong))
    round = new_round(org.hr)
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.filter(pk=round.pk).update(effective_on=day(1))
    assert Round.objects.get(pk=round.pk).effective_on == day(21)


def test_the_scope_is_fixed_once_nominations_close(org):
    other_ladder = build_ladder()
    nominating = make_round(by=org.hr, state="nominating")
    services.update_round(round=nominating, by=org.hr, ladders=[other_ladder], org_root=org.boss)
    assert list(nominating.ladders.all()) == [other_ladder]

    round = make_round(by=org.hr, state="calibrating")
    round.ladders.set([org.ladder])
    for change in ({"ladders": [other_ladder]}, {"ladders": []}, {"org_root": org.manager}):
        with pytest.raises(ValidationError, match="scope is fixed"):
            services.update_round(round=round, by=org.hr, **change)
    saved = Round.objects.get(pk=round.pk)
    assert (list(saved.ladders.all()), saved.org_root) == ([org.ladder], None)

    # The same scope again, the name and the committee may still change.
    services.update_round(
        round=round, by=org.hr, ladders=[org.ladder], org_root=None, name="Renamed"
    )
    services.update_round(round=round, by=org.hr, committee=[org.boss.user])
    saved = Round.objects.get(pk=round.pk)
    assert (saved.name, list(saved.committee.all())) == ("Renamed", [org.boss.user])


def test_a_finalised_round_is_read_only(org):
    round = make_round(by=org.hr, state="finalised")

    for change in ({"name": "Again"}, {"committee": [org.boss.user]}, {"effective_on": day(30)}):
        with pytest.raises(ValidationError, match="read-only"):
            services.update_round(round=round, by=org.hr, **change)

    saved = Round.objects.get(pk=round.pk)
    assert (saved.name, saved.effective_on, saved.committee.count()) == (
        "Test round",
        TODAY,
        0,
    )


def test_updating_a_round_cannot_set_its_state_or_history(org):
    round = make_round(by=org.hr, state="calibrating")

    for field, value in (("state", "finalised"), ("finalised_by", org.hr), ("created_by", None)):
        with pytest.raises(TypeError):
            services.update_round(round=round, by=org.hr, **{field: value})

    saved = Round.objects.get(pk=round.pk)
    assert (saved.state, saved.finalised_by, saved.created_by) == ("calibrating", None, org.hr)


# The default committee -----------------------------------------------------------------------


def usernames(users):
    return {user.username for user in users}


def test_the_default_committee_is_hr_and_the_managers_of_managers(org, hr_on_ladder):
    # The boss manages managers; the managers' reports have nobody reporting to them.
    assert usernames(selectors.default_committee()) == {"hr", "hrpm", "boss"}


def test_someone_becomes_a_manager_of_managers_when_a_report_manages_someone(org):
    place(org.ladder, "intern", "Ines Intern", "apm", manager=org.report)
    assert usernames(selectors.default_committee()) == {"hr", "boss", "manager"}

    people.deactivate_employee(employee=Employee.objects.get(full_name="Ines Intern"))
    assert usernames(selectors.default_committee()) == {"hr", "boss"}


def test_the_default_committee_follows_the_rounds_scope(org):
    place(org.ladder, "intern", "Ines Intern", "apm", manager=org.report)
    other_ladder = build_ladder()

    assert usernames(selectors.default_committee(ladders=[org.ladder])) == {
        "hr",
        "boss",
        "manager",
    }
    assert usernames(selectors.default_committee(ladders=[other_ladder])) == {"hr"}
    assert usernames(selectors.default_committee(org_root=org.manager)) == {"hr", "manager"}
    assert usernames(selectors.default_committee(org_root=org.other_manager)) == {"hr"}
    assert usernames(selectors.default_committee(org_root=org.boss)) == {"hr", "boss", "manager"}


def test_a_new_round_takes_the_default_committee_unless_one_is_named(org):
    place(org.ladder, "intern", "Ines Intern", "apm", manager=org.report)

    assert usernames(new_round(org.hr).committee.all()) == {"hr", "boss", "manager"}
    assert usernames(new_round(org.hr, org_root=org.manager).committee.all()) == {
        "hr",
        "manager",
    }
    named = new_round(org.hr, committee=[org.other_manager.user])
    assert usernames(named.committee.all()) == {"other"}


# Scope ---------------------------------------------------------------------------------------


def scoped(round):
    return set(selectors.scope(round).values_list("full_name", flat=True))


def test_a_round_covers_its_ladders_every_ladder_when_none_is_chosen(org):
    other_ladder = build_ladder()
    elsewhere = people.place_employee(
        full_name="Ela Where",
        email="ela@example.com",
        ladder=other_ladder,
        track=other_ladder.tracks.order_by("position").first(),
        level=other_ladder.levels.order_by("position").first(),
        effective_on=day(-100),
    )
    everyone = set(Employee.objects.values_list("full_name", flat=True))
    round = make_round(by=org.hr)

    assert scoped(round) == everyone
    round.ladders.set([org.ladder])
    assert scoped(round) == everyone - {elsewhere.full_name}
    round.ladders.set([other_ladder])
    assert scoped(round) == {elsewhere.full_name}
    round.ladders.set([other_ladder, org.ladder])
    assert scoped(round) == everyone


def test_a_round_covers_everyone_below_its_root_not_the_root(org):
    round = make_round(by=org.hr, org_root=org.manager)

    assert scoped(round) == {"Remi Report", "Tea Mate"}
    assert selectors.in_scope(round, org.report)
    assert not selectors.in_scope(round, org.manager)
    assert not selectors.in_scope(round, org.boss)
    assert not selectors.in_scope(round, org.stranger)

    round.org_root = org.boss
    assert "Bo Director" not in scoped(round)
    assert not selectors.in_scope(round, org.boss)
    assert selectors.in_scope(round, org.stranger)


def test_people_who_left_are_not_covered(org):
    people.deactivate_employee(employee=org.teammate)
    round = make_round(by=org.hr, org_root=org.manager)

    assert scoped(round) == {"Remi Report"}
    assert not selectors.in_scope(round, Employee.objects.get(pk=org.teammate.pk))


def test_scope_and_in_scope_agree_for_everyone(org, hr_on_ladder):
    place(org.ladder, "intern", "Ines Intern", "apm", manager=org.report)
    people.deactivate_employee(employee=org.teammate)
    other_ladder = build_ladder()
    people.place_employee(
        full_name="Ela Where",
        email="ela@example.com",
        ladder=other_ladder,
        track=other_ladder.tracks.order_by("position").first(),
        level=other_ladder.levels.order_by("position").first(),
        effective_on=day(-100),
        manager=org.manager,
    )
    rounds = []
    for root in (None, org.boss, org.manager, org.report, org.stranger):
        for ladders in ([], [org.ladder], [other_ladder]):
            round = make_round(by=org.hr, org_root=root)
            round.ladders.set(ladders)
            rounds.append(round)

    for round in rounds:
        covered = set(selectors.scope(round).values_list("pk", flat=True))
        for employee in Employee.objects.all():
            assert selectors.in_scope(round, employee) == (employee.pk in covered), (
                round.org_root,
                list(round.ladders.all()),
                employee,
            )


# Nominating ----------------------------------------------------------------------------------


def test_targets_are_the_next_level_on_each_track(org):
    assert [(t.level.key, t.track.key) for t in selectors.targets_for(org.report)] == [
        ("senior-pm", "ic")
    ]
    assert [(t.level.key, t.track.key) for t in selectors.targets_for(org.teammate)] == [
        ("pm", "ic")
    ]


@pytest.mark.parametrize("who", ["manager", "boss", "hr", "hr_on_ladder"])
def test_the_manager_the_skip_level_and_hr_nominate(org, hr_on_ladder, who):
    by = {
        "manager": org.manager.user,
        "boss": org.boss.user,
        "hr": org.hr,
        "hr_on_ladder": hr_on_ladder.user,
    }[who]
    round = make_round(by=org.hr)

    assert access.nomination_refusal(by, round, org.report) is None
    nomination = put_forward(round, org.report, by)

    assert (nomination.nominated_by, nomination.from_level, nomination.target_level) == (
        by,
        level(org, "pm"),
        level(org, "senior-pm"),
    )
    assert [c["criterion"] for c in nomination.cases] == list(
        org.ladder.promotion_criteria.values_list("pk", flat=True)
    )
    change = nomination.changes.get()
    assert (change.action, change.changed_by) == (NominationChange.Action.NOMINATED, by)


@pytest.mark.parametrize("who", ["other_manager", "teammate", "report", "hr_on_ladder"])
def test_unrelated_managers_peers_and_people_themselves_do_not(org, hr_on_ladder, who):
    by, person = {
        "other_manager": (org.other_manager.user, org.report),
        "teammate": (org.teammate.user, org.report),
        "report": (org.report.user, org.report),
        "hr_on_ladder": (hr_on_ladder.user, hr_on_ladder),
    }[who]
    round = make_round(by=org.hr)

    assert access.nomination_refusal(by, round, person)
    with pytest.raises(PermissionDenied):
        put_forward(round, person, by)
    assert not Nomination.objects.exists()


def test_people_nominate_themselves_where_the_round_allows_it(org, hr_on_ladder):
    round = make_round(by=org.hr, self_nomination=True)

    mine = put_forward(round, org.report, org.report.user)
    theirs = put_forward(round, hr_on_ladder, hr_on_ladder.user)

    assert (mine.self_nominated, theirs.self_nominated) == (True, True)
    # Still nobody else's: a peer cannot put the teammate forward.
    with pytest.raises(PermissionDenied):
        put_forward(round, org.teammate, org.report.user, target="pm")


def test_nominations_close_at_the_deadline(org):
    round = make_round(by=org.hr, nomination_deadline=day(-1), calibration_on=TODAY)

    assert "closed on" in access.nomination_refusal(org.manager.user, round, org.report)
    with pytest.raises(PermissionDenied, match="closed on"):
        put_forward(round, org.report, org.manager.user)
    assert not Nomination.objects.exists()


@pytest.mark.parametrize("state", ["draft", "calibrating", "finalised"])
def test_only_a_round_taking_nominations_takes_them(org, state):
    round = make_round(by=org.hr, state=state)

    with pytest.raises(PermissionDenied, match="not taking nominations"):
        put_forward(round, org.report, org.manager.user)
    assert not Nomination.objects.exists()


def test_only_people_the_round_covers_are_nominated(org):
    other_ladder = build_ladder()
    by_root = make_round(by=org.hr, org_root=org.other_manager)
    by_ladder = make_round(by=org.hr)
    by_ladder.ladders.set([other_ladder])
    people.deactivate_employee(employee=org.teammate)

    for round, person, target in (
        (by_root, org.report, "senior-pm"),
        (by_ladder, org.report, "senior-pm"),
        (make_round(by=org.hr), Employee.objects.get(pk=org.teammate.pk), "pm"),
    ):
        assert "does not cover" in access.nomination_refusal(org.hr, round, person)
        with pytest.raises(PermissionDenied, match="does not cover"):
            put_forward(round, person, org.hr, target=target)
    assert not Nomination.objects.exists()


def test_the_target_must_be_a_next_level(org):
    round = make_round(by=org.hr)
    other_ladder = build_ladder()
    elsewhere = Level.objects.filter(ladder=other_ladder).order_by("position")[1]

    for target_level, target_track in (
        (level(org, "staff-pm"), org.report.track),  # two steps up
        (level(org, "pm"), org.report.track),  # where they are
        (level(org, "senior-pm"), org.ladder.tracks.get(key="management")),  # not their track
        (elsewhere, other_ladder.tracks.first()),  # another ladder
    ):
        with pytest.raises(ValidationError) as refused:
            put_forward(
                round,
                org.report,
                org.manager.user,
                target_level=target_level,
                target_track=target_track,
            )
        assert "target" in refused.value.message_dict
    assert not Nomination.objects.exists()


def test_every_criterion_needs_a_short_plain_case(org):
    round = make_round(by=org.hr)
    criteria = list(org.ladder.promotion_criteria.all())
    written = cases(org.ladder)
    written[criteria[0].pk] = "  "
    written[criteria[1].pk] = "x" * (services.CASE_MAX + 1)
    written[criteria[2].pk] = "Shipped it\x1b[31m"
    del written[criteria[3].pk]

    with pytest.raises(ValidationError) as refused:
        put_forward(round, org.report, org.manager.user, cases=written)

    assert set(refused.value.message_dict) == {f"case_{c.pk}" for c in criteria[:4]}
    assert not Nomination.objects.exists()

    # Keys as a form posts them (strings) are fine, and multi-line text too.
    posted = {str(c.pk): "First line.\nSecond line." for c in criteria}
    nomination = put_forward(round, org.report, org.manager.user, cases=posted)
    assert nomination.cases[0]["case"] == "First line.\nSecond line."


def test_a_person_is_nominated_once_a_round(org):
    round = make_round(by=org.hr)
    put_forward(round, org.report, org.manager.user)

    with pytest.raises(ValidationError, match="already nominated"):
        put_forward(round, org.report, org.boss.user)
    assert Nomination.objects.count() == 1
    # In another round, again.
    put_forward(make_round(by=org.hr), org.report, org.boss.user)
    assert Nomination.objects.count() == 2


def test_the_people_who_manage_them_edit_and_withdraw_while_nominating(org):
    round = make_round(by=org.hr)
    nomination = put_forward(round, org.report, org.manager.user)
    criteria = list(org.ladder.promotion_criteria.all())

    edited = services.update_nomination(
        nomination=nomination, by=org.boss.user, cases=cases(org.ladder, "Sharper case.")
    )
    assert (edited.version, edited.cases[0]["case"]) == (2, "Sharper case.")
    assert nomination.changes.filter(action="edited", changed_by=org.boss.user).exists()

    for by in (org.other_manager.user, org.teammate.user, org.report.user):
        with pytest.raises(PermissionDenied):
            services.update_nomination(nomination=nomination, by=by, cases=cases(org.ladder, "X"))
        with pytest.raises(PermissionDenied):
            services.withdraw(nomination=nomination, by=by)
    with pytest.raises(ValidationError) as refused:
        services.update_nomination(
            nomination=nomination, by=org.manager.user, cases={criteria[0].pk: "Only one."}
        )
    assert f"case_{criteria[1].pk}" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.update_nomination(
            nomination=nomination,
            by=org.manager.user,
            cases=cases(org.ladder),
            target_level=level(org, "staff-pm"),
            target_track=org.report.track,
        )
    assert "target" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:  # a level without its track
        services.update_nomination(
            nomination=nomination,
            by=org.manager.user,
            cases=cases(org.ladder),
            target_level=level(org, "senior-pm"),
        )
    assert "target" in refused.value.message_dict
    assert Nomination.objects.get(pk=nomination.pk).cases[0]["case"] == "Sharper case."

    services.withdraw(nomination=nomination, by=org.manager.user)
    assert not Nomination.objects.exists()
    assert not NominationChange.objects.exists()


def test_nobody_edits_or_withdraws_once_nominations_close(org):
    round = make_round(by=org.hr)
    nomination = put_forward(round, org.report, org.manager.user)
    services.close_nominations(round=round, by=org.hr)

    for by in (org.manager.user, org.boss.user, org.hr):
        with pytest.raises(PermissionDenied):
            services.update_nomination(nomination=nomination, by=by, cases=cases(org.ladder, "X"))
        with pytest.raises(PermissionDenied):
            services.withdraw(nomination=nomination, by=by)
    saved = Nomination.objects.get(pk=nomination.pk)
    assert (saved.version, saved.cases[0]["case"]) == (1, "A clear case with examples.")


def test_a_self_nominator_edits_their_own_self_nomination_only(org):
    round = make_round(by=org.hr, self_nomination=True)
    mine = put_forward(round, org.report, org.report.user)
    by_manager = put_forward(round, org.teammate, org.manager.user, target="pm")

    services.update_nomination(nomination=mine, by=org.report.user, cases=cases(org.ladder, "Y"))
    assert Nomination.objects.get(pk=mine.pk).cases[0]["case"] == "Y"
    # The teammate cannot touch the manager's nomination of them.
    with pytest.raises(PermissionDenied):
        services.update_nomination(
            nomination=by_manager, by=org.teammate.user, cases=cases(org.ladder, "Mine")
        )
    with pytest.raises(PermissionDenied):
        services.withdraw(nomination=by_manager, by=org.teammate.user)
    services.withdraw(nomination=mine, by=org.report.user)
    assert list(Nomination.objects.all()) == [by_manager]


# Endorsing -----------------------------------------------------------------------------------


def test_the_skip_level_endorses(org):
    nomination = put_forward(make_round(by=org.hr), org.report, org.manager.user)

    endorsement = services.endorse(nomination=nomination, by=org.boss.user, text=" Backed. ")

    assert (endorsement.author, endorsement.author_name, endorsement.text) == (
        org.boss.user,
        "Bo Director",
        "Backed.",
    )
    assert nomination.changes.filter(action="endorsed", changed_by=org.boss.user).exists()
    with pytest.raises(ValidationError, match="already endorsed"):
        services.endorse(nomination=nomination, by=org.boss.user, text="Again.")
    assert Endorsement.objects.count() == 1


def test_the_manager_the_nominator_hr_and_the_person_do_not_endorse(org, hr_on_ladder):
    by_manager = put_forward(make_round(by=org.hr), org.report, org.manager.user)
    by_boss = put_forward(make_round(by=org.hr), org.report, org.boss.user)

    for nomination, by in (
        (by_manager, org.manager.user),  # the direct manager, and the nominator
        (by_boss, org.boss.user),  # the nominator, though a skip-level
        (by_boss, org.manager.user),  # the direct manager
        (by_manager, org.hr),  # HR, not in the chain
        (by_manager, hr_on_ladder.user),  # HR on the ladder, not above the manager
        (by_manager, org.other_manager.user),
        (by_manager, org.report.user),  # the person
    ):
        with pytest.raises(PermissionDenied):
            services.endorse(nomination=nomination, by=by, text="Backed.")
    assert not Endorsement.objects.exists()


def test_endorsing_needs_words_and_an_open_round(org):
    round = make_round(by=org.hr)
    nomination = put_forward(round, org.report, org.manager.user)

    for text in ("", "   ", "Backed\x00"):
        with pytest.raises(ValidationError):
            services.endorse(nomination=nomination, by=org.boss.user, text=text)
    services.close_nominations(round=round, by=org.hr)
    with pytest.raises(PermissionDenied):
        services.endorse(nomination=nomination, by=org.boss.user, text="Backed.")
    assert not Endorsement.objects.exists()


# Deciding ------------------------------------------------------------------------------------


@pytest.fixture
def calibrating(org):
    """A round (committee: the boss and the teammate) calibrating the report's nomination
    by the manager and the teammate's by the manager."""
    round = today_round(org)
    round.committee.set([org.boss.user, org.teammate.user])
    report = put_forward(round, org.report, org.manager.user)
    teammate = put_forward(round, org.teammate, org.manager.user, target="pm")
    services.close_nominations(round=round, by=org.hr)
    return round, report, teammate


def decide(nomination, by, **fields):
    values = {"decision": "promote", "rationale": "Ready on every count.", "feedback": "Well done."}
    values.update(fields)
    return services.decide(nomination=nomination, by=by, **values)


@pytest.mark.parametrize("who", ["hr", "boss", "teammate"])
def test_hr_and_the_committee_decide_while_calibrating(org, calibrating, who):
    by = {"hr": org.hr, "boss": org.boss.user, "teammate": org.teammate.user}[who]
    _, nomination, _ = calibrating

    decided = decide(nomination, by, discussion="Strong packet.")

    saved = Nomination.objects.get(pk=nomination.pk)
    assert (saved.decision, saved.rationale, saved.decided_by, saved.version) == (
        "promote",
        "Ready on every count.",
        by,
        2,
    )
    assert decided.decided_at is not None
    change = saved.changes.get(action=NominationChange.Action.DECIDED)
    assert (change.changed_by, change.changed_by_name) == (by, selectors.person_name(by))
    assert change.details == {
        "decision": "promote",
        "rationale": "Ready on every count.",
        "feedback": "Well done.",
        "discussion": "Strong packet.",
    }


def test_every_decision_is_kept_in_the_history(org, calibrating):
    _, nomination, _ = calibrating
    first = decide(nomination, org.boss.user)
    decide(first, org.hr, decision="not_this_round", rationale="Span too short.", version=2)

    decided = NominationChange.objects.filter(nomination=nomination, action="decided")
    assert [(c.changed_by, c.details["decision"]) for c in decided.order_by("id")] == [
        (org.boss.user, "promote"),
        (org.hr, "not_this_round"),
    ]


def test_a_manager_off_the_committee_does_not_decide(org, calibrating):
    _, nomination, _ = calibrating
    for by in (org.manager.user, org.other_manager.user, org.outsider):
        with pytest.raises(PermissionDenied):
            decide(nomination, by)
    assert Nomination.objects.get(pk=nomination.pk).decision == ""


def test_nobody_decides_their_own_nomination(org, calibrating, hr_on_ladder):
    _, _, teammate = calibrating
    # The teammate is on the committee and nominated.
    with pytest.raises(PermissionDenied, match="own nomination"):
        decide(teammate, org.teammate.user)
    # HR on the ladder, nominated in a round of their own.
    other = today_round(org)
    theirs = put_forward(other, hr_on_ladder, org.boss.user)
    services.close_nominations(round=other, by=org.hr)
    with pytest.raises(PermissionDenied, match="own nomination"):
        decide(theirs, hr_on_ladder.user)
    assert not Nomination.objects.exclude(decision="").exists()
    decide(theirs, org.hr)  # someone else in HR does


def test_no_decision_while_nominating_or_once_finalised(org):
    round = today_round(org)
    nomination = put_forward(round, org.report, org.manager.user)
    with pytest.raises(PermissionDenied):
        decide(nomination, org.hr)
    services.close_nominations(round=round, by=org.hr)
    decide(nomination, org.hr)
    services.finalise(round=round, by=org.hr)

    with pytest.raises(PermissionDenied):
        decide(nomination, org.hr, decision="not_this_round", rationale="Changed my mind.")
    saved = Nomination.objects.get(pk=nomination.pk)
    assert (saved.decision, saved.version) == ("promote", 2)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rationale": ""}, "rationale"),
        ({"rationale": "   "}, "rationale"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": ""}, "decision"),
        ({"feedback": "Well\x1b[2J"}, "feedback"),
        ({"discussion": "Hmm\x07"}, "discussion"),
    ],
)
def test_a_decision_needs_a_choice_and_a_rationale(org, calibrating, fields, field):
    _, nomination, _ = calibrating

    with pytest.raises(ValidationError) as refused:
        decide(nomination, org.hr, **fields)

    assert field in refused.value.message_dict
    saved = Nomination.objects.get(pk=nomination.pk)
    assert (saved.decision, saved.version, saved.decided_by) == ("", 1, None)
    assert not saved.changes.filter(action="decided").exists()


def test_a_stale_decision_is_refused_and_nothing_changes(org, calibrating):
    _, nomination, _ = calibrating
    decide(nomination, org.boss.user, version=1)

    with pytest.raises(ValidationError) as refused:
        decide(nomination, org.hr, decision="not_this_round", rationale="Not yet.", version=1)

    assert refused.value.code == "stale"
    saved = Nomination.objects.get(pk=nomination.pk)
    assert (saved.decision, saved.decided_by, saved.version) == ("promote", org.boss.user, 2)
    assert saved.changes.filter(action="decided").count() == 1


def test_display_names_in_the_history(org):
    assert selectors.person_name(org.boss.user) == "Bo Director"
    assert selectors.person_name(org.hr) == "Hana HR"
    assert selectors.person_name(None) == ""

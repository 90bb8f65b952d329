"""The demo organisation that `make run` creates."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from assessments import selectors
from assessments.models import Employee, Evidence, LevelAssignment, Review
from assessments.readiness import readiness
from levels.models import Ladder
from rounds import selectors as round_selectors
from rounds import services as round_services
from rounds.models import Endorsement, Nomination, NominationChange, Round

pytestmark = pytest.mark.django_db


def seed(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_org_is_believable(settings):
    output = seed(settings)

    people = Employee.objects.select_related("level")
    assert 35 <= people.count() <= 45
    used = set(people.values_list("level__key", flat=True))
    assert used == {
        "apm", "pm", "senior-pm", "staff-pm", "principal-pm", "distinguished-pm",
        "pm-manager", "director", "vp", "cpo",
    }  # fmt: skip
    top = Employee.objects.get(manager=None)
    # Four levels of management under the top: VP, Director, PM Manager, then their teams.
    assert max(len(selectors.manager_chain(p)) for p in people) >= 4
    assert selectors.below(top).count() == people.count() - 1
    with_history = Employee.objects.annotate(n=Count("assignments")).filter(n__gt=1)
    assert with_history.count() >= 15
    for person in people:  # the current level is always the latest assignment's
        assert person.assignments.first().level_id == person.level_id
    assert "hr" in output
    assert "manager" in output
    assert "demo-ladder-2026" in output


def test_demo_sign_ins_work_for_every_role(settings, client):
    seed(settings)

    sign_ins = [("hr", "/ladders/"), ("director", "/me/"), ("manager", "/me/"), ("pm", "/me/")]
    for username, landing in sign_ins:
        client.logout()
        response = client.post(
            "/accounts/login/", {"username": username, "password": "demo-ladder-2026"}
        )
        assert response.status_code == 302, username
        assert client.get("/").url == landing, username
    client.logout()
    client.post("/accounts/login/", {"username": "manager", "password": "demo-ladder-2026"})
    team = client.get("/team/")
    assert len(team.context["page"]) == 6
    client.logout()
    client.post("/accounts/login/", {"username": "director", "password": "demo-ladder-2026"})
    direct = client.get("/team/").context["page"].paginator.count
    everyone = client.get("/team/?scope=all").context["page"].paginator.count
    assert everyone > direct >= 4
    client.logout()
    client.post("/accounts/login/", {"username": "hr", "password": "demo-ladder-2026"})
    assert client.get("/admin/").status_code == 200


def test_seeding_twice_changes_nothing(settings):
    seed(settings)
    counts = (Employee.objects.count(), LevelAssignment.objects.count())

    output = seed(settings)

    assert (Employee.objects.count(), LevelAssignment.objects.count()) == counts
    assert "already there" in output


def test_demo_includes_evidence_a_win_to_confirm_and_a_shared_review(settings):
    seed(settings)

    assert Evidence.objects.filter(status="confirmed").count() >= 15
    assert Evidence.objects.filter(status="pending").count() == 1
    assert Evidence.objects.filter(visibility="private").count() == 1
    review = Review.objects.get()
    assert review.status == "shared"
    assert review.ratings.exclude(rating="").count() == review.ratings.count()


# The promotion round ---------------------------------------------------------------------


def demo_round():
    return Round.objects.prefetch_related("ladders").get()


def by_readiness(round):
    return {
        n.snapshot["readiness"]["code"]: n
        for n in round.nominations.select_related(
            "employee__user", "employee__manager__user", "target_level"
        )
    }


def test_demo_round_waits_in_calibration_with_ready_close_and_not_yet_candidates(settings):
    output = seed(settings)

    round = demo_round()
    today = round_selectors.today()
    assert round.state == Round.State.CALIBRATING
    assert round.name == f"H{1 if today.month <= 6 else 2} {today.year} promotions"
    assert round.nomination_deadline == round.calibration_on == round.effective_on == today
    assert list(round.ladders.all()) == [Ladder.objects.get(slug="product-management")]
    assert round.org_root is None
    assert not round.self_nomination
    assert round.created_by.username == "hr"
    committee = set(round.committee.values_list("username", flat=True))
    default = round_selectors.default_committee(ladders=list(round.ladders.all()))
    assert committee == set(default.values_list("username", flat=True))
    assert {"hr", "director"} <= committee
    assert "manager" not in committee  # Jordan nominates; he does not calibrate

    candidates = by_readiness(round)
    assert set(candidates) == {"ready", "close", "building"}
    assert round.nominations.count() == 3
    criteria = list(round.ladders.get().promotion_criteria.values_list("name", flat=True))
    for nomination in candidates.values():
        # Nominated by their own manager, for their next level, with a case per criterion.
        assert nomination.nominated_by == nomination.employee.manager.user
        target = round_selectors.targets_for(nomination.employee)[0]
        assert nomination.target_level == target.level
        assert [case["name"] for case in nomination.cases] == criteria
        assert all(len(case["case"]) > 40 for case in nomination.cases)

    ready = candidates["ready"]
    endorsement = ready.endorsements.get()
    assert endorsement.author.username == "director"  # the manager's manager
    assert ready.decision == "promote"
    assert ready.rationale
    assert ready.feedback
    assert ready.discussion
    assert ready.decided_by.username in committee
    assert not candidates["close"].decision
    assert not candidates["building"].decision

    assert round.name in output
    assert "Committee among the demo sign-ins: hr, director" in output


@pytest.mark.parametrize("site_url", ["http://127.0.0.1:8080", "https://ladder.example.org/"])
def test_the_round_is_printed_as_a_link_to_the_address_served(settings, site_url):
    settings.SITE_URL = site_url  # `make run` passes the address it serves

    output = seed(settings)

    link = f"{site_url.rstrip('/')}/rounds/{demo_round().pk}/"
    assert f"  Calibrating, at {link}\n" in output
    assert f"at {link}" in seed(settings)  # also when the round is already there


def test_demo_packets_are_frozen_with_the_readiness_each_person_has(settings):
    seed(settings)

    round = demo_round()
    assert round.nominations_closed_at is not None
    for nomination in round.nominations.select_related("employee__ladder", "target_level"):
        assert nomination.snapshot is not None
        assert nomination.changes.filter(action=NominationChange.Action.FROZEN).count() == 1
        live = readiness(employee=nomination.employee, level=nomination.target_level)
        assert nomination.snapshot["readiness"]["code"] == live.badge[0]
        assert nomination.snapshot["readiness"]["covered"] == live.covered
    ready = by_readiness(round)["ready"].snapshot["readiness"]
    assert ready["percent"] >= 80
    assert ready["consistent"]
    assert ready["span_months"] >= 6


def test_seeding_twice_adds_no_round_nomination_or_evidence(settings):
    seed(settings)
    models = [Round, Nomination, Endorsement, NominationChange, Evidence]
    counts = [model.objects.count() for model in models]

    output = seed(settings)

    assert [model.objects.count() for model in models] == counts
    assert "is already there" in output
    assert demo_round().name in output


def test_a_demo_seeded_before_rounds_gets_its_round_and_the_evidence_once(settings):
    seed(settings)
    evidence = Evidence.objects.count()
    Round.objects.all().delete()

    output = seed(settings)

    assert Evidence.objects.count() == evidence
    assert set(by_readiness(demo_round())) == {"ready", "close", "building"}
    assert "Created the promotion round" in output


def test_hr_can_finalise_the_demo_round_today(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    seed(settings)
    round = demo_round()
    hr = get_user_model().objects.get(username="hr")
    candidates = by_readiness(round)
    for code in ("close", "building"):
        round_services.decide(
            nomination=candidates[code],
            by=hr,
            decision=Nomination.Decision.NOT_THIS_ROUND,
            rationale="Not enough Senior PM evidence over six months yet.",
            feedback="Keep going: the committee would like to see this again next round.",
        )
    promoted = candidates["ready"].employee
    others = {code: candidates[code].employee.level_id for code in ("close", "building")}
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = round_services.finalise(round=round, by=hr)

    round.refresh_from_db()
    assert round.state == Round.State.FINALISED
    assert [n.employee for n in result.promoted] == [promoted]
    promoted.refresh_from_db()
    assert promoted.level == candidates["ready"].target_level
    assignment = promoted.assignments.first()
    assert assignment.effective_on == round.effective_on
    assert round.name in assignment.rationale
    for code, level_id in others.items():
        candidates[code].employee.refresh_from_db()
        assert candidates[code].employee.level_id == level_id
    recipients = {address for message in mailoutbox for address in message.to}
    assert promoted.email in recipients
    assert promoted.manager.email in recipients


# Quick and quiet, on a domain nobody owns -------------------------------------------------


def test_demo_people_are_on_the_demo_domain(settings):
    seed(settings)

    emails = list(Employee.objects.values_list("email", flat=True))
    emails += list(get_user_model().objects.values_list("email", flat=True))
    assert emails
    assert all(email.endswith("@demo.pm-ladder.test") for email in emails)
    assert Employee.objects.get(user__username="pm").email == "pm@demo.pm-ladder.test"


def test_a_demo_seeded_on_the_old_domain_moves_to_the_demo_domain(settings):
    seed(settings)
    for person in Employee.objects.select_related("user"):
        old = f"{person.user.username}@example.com"
        Employee.objects.filter(pk=person.pk).update(email=old)
        get_user_model().objects.filter(pk=person.user_id).update(email=old)
    Employee.objects.filter(user__username="tom").update(email="tom.becker@example.com")
    counts = (Employee.objects.count(), LevelAssignment.objects.count())

    output = seed(settings)

    assert "already there" in output
    assert (Employee.objects.count(), LevelAssignment.objects.count()) == counts
    assert Employee.objects.get(user__username="lea").email == "lea@demo.pm-ladder.test"
    assert get_user_model().objects.get(username="lea").email == "lea@demo.pm-ladder.test"
    # An address someone changed by hand is theirs to keep.
    assert Employee.objects.get(user__username="tom").email == "tom.becker@example.com"


def test_seeding_sends_no_email(settings, mailoutbox, django_capture_on_commit_callbacks):
    """The demo shares evidence, logs a win, shares a review and nominates people: in a
    real organisation each would email someone."""
    with django_capture_on_commit_callbacks(execute=True):
        seed(settings)

    assert mailoutbox == []


def test_demo_passwords_are_hashed_once_and_not_again_when_seeding_again(settings):
    seed(settings)
    users = get_user_model().objects.filter(username__in=["hr", "pm", "morgan", "felix"])
    hashes = dict(users.values_list("username", "password"))
    assert len(set(hashes.values())) == 1  # one hash for the one demo password

    seed(settings)

    assert dict(users.values_list("username", "password")) == hashes


def test_a_demo_sign_in_that_lost_its_password_gets_it_back(settings, client):
    seed(settings)
    pm = get_user_model().objects.get(username="pm")
    pm.set_unusable_password()
    pm.save()

    seed(settings)

    response = client.post("/accounts/login/", {"username": "pm", "password": "demo-ladder-2026"})
    assert response.status_code == 302

"""What waits for the signed-in person, counted in the navigation: each count for each role
against known data, counts that drop to zero once dealt with, the links, the phone
toggler, and one query for all of it."""

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from assessments import access, reviews, selectors, waiting
from assessments import evidence as evidence_services
from assessments.context_processors import navigation
from assessments.models import Review
from levels.models import Expectation, Ladder
from rounds.models import Nomination

from ..factories import make_evidence, make_round
from .test_reviews import complete, shared, start

pytestmark = pytest.mark.django_db

ROLES = ["report", "manager", "boss", "other_manager", "hr", "outsider"]


def user_of(org, role):
    return getattr(org, role) if role in ("hr", "outsider") else getattr(org, role).user


def counts(org, role):
    """The counts for `role`, read as the navigation reads them (a fresh user object: the
    navigation keeps what it read on the user for the rest of the request)."""
    user = type(user_of(org, role)).objects.get(pk=user_of(org, role).pk)
    found = waiting.waiting_for(user)
    return {
        "wins": found.wins,
        "to_acknowledge": found.to_acknowledge,
        "drafts": found.drafts,
        "rounds": found.rounds,
    }


def win(org, person=None, text="Led the onboarding revamp."):
    person = person or org.report
    expectation = Expectation.objects.filter(level=person.level).order_by("position").first()
    return evidence_services.log_win(
        employee=person,
        expectation=expectation,
        by=person.user,
        observed_on=timezone.localdate() - datetime.timedelta(days=2),
        description=text,
    )


def nominate(org, round, person):
    return Nomination.objects.create(
        round=round,
        employee=person,
        from_level=person.level,
        target_level=org.ladder.levels.get(key="senior-pm"),
        target_track=person.track,
        nominated_by=org.manager.user,
    )


# Each count, each role ----------------------------------------------------------------------

NOTHING = {"wins": 0, "to_acknowledge": 0, "drafts": 0, "rounds": 0}


@pytest.mark.parametrize("role", ROLES)
def test_nothing_waits_in_a_quiet_organisation(org, role):
    assert counts(org, role) == NOTHING


# Pending wins of the report: their manager and the manager's manager confirm them (the team
# page lists them for both); HR may, but is not the one waited on.
WINS = {"report": 0, "manager": 2, "boss": 2, "other_manager": 0, "hr": 0, "outsider": 0}


@pytest.mark.parametrize("role", ROLES)
def test_wins_to_confirm(org, role):
    win(org)
    win(org, text="Ran the pricing review.")
    win(org, person=org.stranger).delete()  # deleted: waits for nobody

    assert counts(org, role)["wins"] == WINS[role]


def test_wins_to_confirm_drop_to_zero_once_decided(org):
    first, second = win(org), win(org, text="Ran the pricing review.")
    evidence_services.confirm_win(evidence=first, by=org.manager.user)
    assert counts(org, "manager")["wins"] == 1

    evidence_services.decline_win(evidence=second, by=org.boss.user, reason="Not this level.")

    assert counts(org, "manager")["wins"] == 0
    assert counts(org, "boss")["wins"] == 0


# A review shared with the report waits for them alone.
ACKNOWLEDGE = {"report": 1, "manager": 0, "boss": 0, "other_manager": 0, "hr": 0, "outsider": 0}


@pytest.mark.parametrize("role", ROLES)
def test_reviews_to_acknowledge(org, role):
    shared(org)
    start(org, employee=org.teammate, key="pm")  # a draft waits for no one to acknowledge

    assert counts(org, role)["to_acknowledge"] == ACKNOWLEDGE[role]


def test_a_review_to_acknowledge_drops_to_zero_once_acknowledged(org):
    review = shared(org)
    assert waiting.waiting_for(org.report.user).to_acknowledge_id == review.pk

    reviews.acknowledge_review(review=review, by=org.report.user)

    assert counts(org, "report")["to_acknowledge"] == 0


# Drafts: the manager started two (report, teammate), the boss one (of the report).
DRAFTS = {"report": 0, "manager": 2, "boss": 1, "other_manager": 0, "hr": 0, "outsider": 0}


@pytest.mark.parametrize("role", ROLES)
def test_drafts_to_finish(org, role):
    start(org)
    start(org, employee=org.teammate, key="pm")
    start(org, key="pm", by=org.boss.user)

    assert counts(org, role)["drafts"] == DRAFTS[role]


def test_hr_counts_their_own_drafts(org):
    start(org, by=org.hr)

    assert counts(org, "hr") == {**NOTHING, "drafts": 1}


def test_drafts_drop_to_zero_once_shared(org):
    review = start(org)
    complete(review, org.manager.user)
    assert counts(org, "manager")["drafts"] == 1

    reviews.share_review(review=review, by=org.manager.user)

    assert counts(org, "manager")["drafts"] == 0


def test_a_draft_of_someone_no_longer_managed_waits_no_more(org):
    from assessments import services as people

    start(org)
    people.set_manager(employee=org.report, manager=org.other_manager)

    assert counts(org, "manager")["drafts"] == 0


# A round covering everyone: each manager has someone below them to nominate.
ROUNDS = {"report": 0, "manager": 1, "boss": 1, "other_manager": 1, "hr": 0, "outsider": 0}


@pytest.mark.parametrize("role", ROLES)
def test_nominations_due(org, role):
    make_round(by=org.hr)

    assert counts(org, role)["rounds"] == ROUNDS[role]


def test_nominations_due_drop_to_zero_once_everyone_is_nominated(org):
    round = make_round(by=org.hr)
    nominate(org, round, org.report)
    assert counts(org, "manager")["rounds"] == 1  # the teammate is still to nominate

    nominate(org, round, org.teammate)

    assert counts(org, "manager")["rounds"] == 0
    assert counts(org, "boss")["rounds"] == 1  # the managers below them are not nominated


def yesterday():
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.mark.parametrize(
    "fields",
    [
        lambda: {"state": "draft"},
        lambda: {"state": "calibrating"},
        lambda: {
            "nomination_deadline": yesterday(),
            "calibration_on": timezone.localdate(),
            "effective_on": timezone.localdate(),
        },
    ],
    ids=["draft", "calibrating", "deadline-passed"],
)
def test_no_nominations_due_in_a_round_not_taking_them(org, fields):
    make_round(by=org.hr, **fields())

    assert counts(org, "manager")["rounds"] == 0


def test_a_round_over_another_part_of_the_organisation_is_not_due(org):
    make_round(by=org.hr, org_root=org.other_manager)

    assert counts(org, "manager")["rounds"] == 0
    assert counts(org, "other_manager")["rounds"] == 1
    assert counts(org, "boss")["rounds"] == 1  # the stranger is below them too


def test_a_round_over_another_ladder_is_not_due(org):
    round = make_round(by=org.hr)
    round.ladders.set([Ladder.objects.create(name="Design", slug="design")])

    assert counts(org, "manager")["rounds"] == 0
    round.ladders.add(org.ladder)
    assert counts(org, "manager")["rounds"] == 1


def test_one_round_due_links_to_it_and_two_to_the_list(org):
    first = make_round(by=org.hr)
    found = waiting.waiting_for(org.manager.user)
    assert [item.url for item in found.items] == [first.get_absolute_url()]

    make_round(by=org.hr, name="Second round")
    found = waiting.waiting_for(type(org.manager.user).objects.get(pk=org.manager.user.pk))

    assert [item.url for item in found.items] == [reverse("rounds:list")]


# One query ----------------------------------------------------------------------------------


def everything_waits(org):
    win(org)
    start(org)
    make_round(by=org.hr)
    review = start(org, employee=org.teammate, key="pm")
    complete(review, org.manager.user)
    reviews.share_review(review=review, by=org.manager.user)
    start(org, employee=org.stranger, key="pm", by=org.hr)


@pytest.mark.parametrize("role", ["manager", "teammate", "hr"])
def test_every_count_comes_from_one_query(org, role, rf, django_assert_num_queries):
    everything_waits(org)
    user = org.hr if role == "hr" else getattr(org, role).user
    user = type(user).objects.get(pk=user.pk)
    request = rf.get("/")
    request.user = user
    selectors.employee_of(user), access.is_hr(user)  # what the navigation knew already

    context = navigation(request)
    with django_assert_num_queries(1):  # the counts, and whether rounds are offered
        total = context["nav_waiting"].total
        items = context["nav_waiting"].items
        offers_rounds = bool(context["nav_rounds"])

    assert total == sum(item.count for item in items) > 0
    assert offers_rounds == (role != "teammate")


def test_no_query_when_nothing_could_wait(org, rf, django_assert_num_queries):
    user = type(org.outsider).objects.get(pk=org.outsider.pk)
    request = rf.get("/")
    request.user = user
    context = navigation(request)

    with django_assert_num_queries(0):
        assert context["nav_waiting"].total == 0
        assert not context["nav_rounds"]


def test_a_page_that_draws_no_navigation_asks_nothing(org, as_user, django_assert_num_queries):
    client = as_user(org.manager.user)
    # The session, the user, their person: the home page only redirects.
    with django_assert_num_queries(3):
        response = client.get(reverse("home"))
    assert response.status_code == 302


def test_wins_are_counted_up_to_a_hundred_and_shown_as_99_plus(org, as_user):
    expectation = Expectation.objects.filter(level=org.report.level).first()
    for number in range(waiting.COUNTED_UP_TO + 5):
        make_evidence(
            org.report,
            expectation,
            timezone.localdate() - datetime.timedelta(days=number % 30),
            by=org.report.user,
            source="self",
            status="pending",
        )

    content = nav(as_user(org.manager.user).get(reverse("levels:ladders")).content.decode())

    assert counts(org, "manager")["wins"] == waiting.COUNTED_UP_TO
    assert '<span class="badge rounded-pill text-bg-warning">99+</span>' in content
    assert '<span class="visually-hidden">99+ wins to confirm</span>' in content
    assert 'aria-label="Show navigation: 99+ things wait for you"' in content


def test_ninety_nine_wins_are_shown_as_they_are(org):
    assert waiting.shown(waiting.COUNTED_UP_TO - 1) == 99
    assert waiting.shown(waiting.COUNTED_UP_TO) == "99+"


# The navigation -----------------------------------------------------------------------------


def nav(content):
    """The navigation's part of the page."""
    return content.split("<nav", 1)[1].split("</nav>", 1)[0]


def test_the_navigation_links_each_count_with_its_words(org, as_user):
    win(org)
    win(org, text="Ran the pricing review.")
    draft = start(org)
    round = make_round(by=org.hr)

    content = nav(as_user(org.manager.user).get(reverse("levels:ladders")).content.decode())

    team = reverse("assessments:team")
    assert f'href="{team}#pending-heading"' in content
    assert '<span class="visually-hidden">2 wins to confirm</span>' in content
    assert f'href="{draft.get_absolute_url()}"' in content
    assert '<span class="visually-hidden">1 draft review to finish</span>' in content
    assert f'href="{round.get_absolute_url()}"' in content
    assert '<span class="visually-hidden">1 round taking your nominations</span>' in content
    assert "to acknowledge" not in content  # zero: no badge
    # On a phone the menu folds away: its button says how much waits.
    assert 'aria-label="Show navigation: 4 things wait for you"' in content
    assert 'nav-toggler-count" aria-hidden="true">4</span>' in content


def test_the_person_is_led_to_the_review_to_acknowledge(org, as_user):
    review = shared(org)

    content = nav(as_user(org.report.user).get(reverse("levels:ladders")).content.decode())

    assert f'href="{review.get_absolute_url()}"' in content
    assert '<span class="visually-hidden">1 review to acknowledge</span>' in content
    assert 'aria-label="Show navigation: 1 thing waits for you"' in content


def test_two_reviews_to_acknowledge_lead_to_the_banner(org, as_user):
    shared(org)
    shared(org, key="pm")

    content = nav(as_user(org.report.user).get(reverse("levels:ladders")).content.decode())

    assert f'href="{reverse("assessments:me")}#waiting-reviews"' in content
    assert "2 reviews to acknowledge" in content


@pytest.mark.parametrize("role", ROLES)
def test_no_badge_when_nothing_waits(org, as_user, role):
    content = nav(as_user(user_of(org, role)).get(reverse("levels:ladders")).content.decode())

    assert "nav-waiting" not in content
    assert "nav-toggler-count" not in content
    assert 'aria-label="Show navigation"' in content


def test_the_counts_drop_from_the_navigation_once_acknowledged(org, as_user):
    review = shared(org)
    client = as_user(org.report.user)
    assert "1 review to acknowledge" in nav(client.get(reverse("levels:ladders")).content.decode())

    client.post(reverse("assessments:review_acknowledge", kwargs={"pk": review.pk}))

    content = nav(client.get(reverse("levels:ladders")).content.decode())
    assert "to acknowledge" not in content
    assert Review.objects.get(pk=review.pk).status == Review.Status.ACKNOWLEDGED


def test_several_drafts_are_listed_on_me(org, as_user):
    first = start(org)
    second = start(org, employee=org.teammate, key="pm")

    content = as_user(org.manager.user).get(reverse("assessments:me")).content.decode()

    assert f'href="{reverse("assessments:me")}#drafts-heading"' in content
    assert "Your draft reviews" in content
    assert f'href="{first.get_absolute_url()}">Remi Report, against' in content
    assert f'href="{second.get_absolute_url()}">Tea Mate, against' in content


def test_hr_off_the_ladder_finds_their_drafts_on_me(org, as_user):
    start(org, by=org.hr)
    start(org, employee=org.teammate, key="pm", by=org.hr)

    content = as_user(org.hr).get(reverse("assessments:me")).content.decode()

    assert "You are not placed on a career ladder yet" in content
    assert "Remi Report, against" in content
    assert "Tea Mate, against" in content


def test_me_without_drafts_lists_none(org, as_user):
    content = as_user(org.manager.user).get(reverse("assessments:me")).content.decode()

    assert "Your draft reviews" not in content


def test_anonymous_gets_no_counts(client, org):
    response = client.get(reverse("levels:ladders"), follow=True)

    assert "nav-waiting" not in response.content.decode()
    assert navigation(RequestFactory().get("/")) == {}


# The banner on /me/ ---------------------------------------------------------------------------


def test_me_opens_with_the_review_waiting_for_acknowledgement(org, as_user):
    review = shared(org)

    content = as_user(org.report.user).get(reverse("assessments:me")).content.decode()

    main = content.split('<main id="main"', 1)[1]
    assert main.index('id="waiting-reviews"') < main.index("<h1")  # before anything else
    assert "A review is waiting for you to acknowledge it" in main
    assert f'href="{review.get_absolute_url()}"' in main
    assert f'href="{review.get_absolute_url()}#acknowledgement-heading"' in main


def test_the_banner_is_gone_once_acknowledged(org, as_user):
    review = shared(org)
    client = as_user(org.report.user)
    assert "waiting-reviews-heading" in client.get(reverse("assessments:me")).content.decode()

    client.post(
        reverse("assessments:review_acknowledge", kwargs={"pk": review.pk}), {"comment": ""}
    )

    content = client.get(reverse("assessments:me")).content.decode()
    assert "waiting-reviews-heading" not in content
    assert f"Against {review.target_level_name}</a>" in content  # still listed below


def test_the_banner_lists_each_waiting_review(org, as_user):
    shared(org)
    shared(org, key="pm")

    content = as_user(org.report.user).get(reverse("assessments:me")).content.decode()

    assert "2 reviews are waiting for you to acknowledge them" in content


@pytest.mark.parametrize("role", ["manager", "boss", "hr"])
def test_no_banner_on_the_persons_page_for_others(org, as_user, role):
    shared(org)
    user = org.hr if role == "hr" else getattr(org, role).user

    content = as_user(user).get(org.report.get_absolute_url()).content.decode()

    assert "waiting-reviews-heading" not in content


def test_no_banner_for_a_draft(org, as_user):
    start(org)

    content = as_user(org.report.user).get(reverse("assessments:me")).content.decode()

    assert "waiting-reviews-heading" not in content

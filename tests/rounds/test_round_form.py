"""The round form's people: the part of the organisation and the committee given by email,
with suggestions from the people lookup; errors for emails that name nobody, or more than
one sign-in; and pages whose cost does not grow with the organisation."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as people_services
from assessments.models import Employee
from rounds import forms
from rounds.models import Round

from ..factories import UserFactory, bulk_people, make_round
from ..plans import kept_statements

pytestmark = pytest.mark.django_db

LOOKUP = reverse("rounds:people_lookup")


def round_data(**changes):
    today = timezone.localdate()
    data = {
        "name": "H1 2027 promotions",
        "nomination_deadline": (today + datetime.timedelta(days=10)).isoformat(),
        "calibration_on": (today + datetime.timedelta(days=20)).isoformat(),
        "effective_on": (today + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


def draft(org, committee=()):
    round = make_round(by=org.hr, state="draft")
    round.committee.set(committee)
    return round


def edit_url(round):
    return reverse("rounds:edit", kwargs={"pk": round.pk})


def lookup(client, q, purpose="committee"):
    return client.get(LOOKUP, {"q": q, "for": purpose})


def emails(response):
    return [row["email"] for row in response.json()["results"]]


# The lookup: who may use it -----------------------------------------------------------------


def test_anonymous_lookup_goes_to_sign_in(org, client):
    response = lookup(client, "mi")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["report", "manager", "boss"])
def test_only_those_who_run_rounds_look_people_up(org, as_user, who):
    # A plain person, a manager, and a manager of managers who sits on committees: none
    # of them runs rounds.
    client = as_user(getattr(org, who).user)

    assert lookup(client, "mi").status_code == 403
    assert lookup(client, "mi", "root").status_code == 403


@pytest.mark.parametrize("hr", ["hr", "hr_on_ladder"])
def test_hr_gets_suggestions(org, as_user, hr_on_ladder, hr):
    user = org.hr if hr == "hr" else hr_on_ladder.user

    response = lookup(as_user(user), "mi", "root")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"email": org.manager.email, "label": "Everyone below Mina Manager"}
    ]


def test_the_lookup_only_answers_get(org, as_user):
    assert as_user(org.hr).post(LOOKUP, {"q": "mi", "for": "root"}).status_code == 405


@pytest.mark.parametrize(
    "q", ["", "   ", "x" * 5000, "mi\x00", "\x00", "%", "_", "' OR 1=1 --", "💥", "a\\"]
)
def test_odd_queries_get_an_answer_not_an_error(org, as_user, q):
    client = as_user(org.hr)

    for purpose in ("root", "committee"):
        response = lookup(client, q, purpose)
        assert response.status_code == 200
        assert response.json()["results"] == []


@pytest.mark.parametrize("purpose", [None, "", "everyone", "root\x00"])
def test_an_unknown_purpose_is_a_bad_request(org, as_user, purpose):
    query = {"q": "mi"} if purpose is None else {"q": "mi", "for": purpose}

    response = as_user(org.hr).get(LOOKUP, query)

    assert response.status_code == 400
    assert "error" in response.json()


# The lookup: what it finds ------------------------------------------------------------------


def test_roots_are_people_with_a_team_by_name_email_or_a_word_of_their_name(org, as_user):
    client = as_user(org.hr)

    assert emails(lookup(client, "Bo", "root")) == [org.boss.email]
    assert emails(lookup(client, "MANAGER@", "root")) == [org.manager.email]
    assert emails(lookup(client, "director", "root")) == [org.boss.email]  # Bo Director
    assert emails(lookup(client, "Remi", "root")) == []  # nobody reports to Remi
    assert emails(lookup(client, "hr", "root")) == []  # HR is not on the ladder


def test_committee_suggestions_are_managers_and_hr_with_a_sign_in(org, as_user, hr_on_ladder):
    client = as_user(org.hr)
    nobody = people_services.place_employee(
        full_name="Mo Nosignin",
        email="mo@example.com",
        ladder=org.ladder,
        track=org.report.track,
        level=org.report.level,
        effective_on=timezone.localdate(),
        manager=org.manager,
    )
    bulk_people(1, like=org.report, manager=nobody, name="Under Mo", email="under-mo@example.com")

    assert emails(lookup(client, "o")) == [org.other_manager.email]
    assert emails(lookup(client, "director")) == [org.boss.email]
    assert emails(lookup(client, "Mo")) == []  # a team, but no sign-in
    assert lookup(client, "Hana").json()["results"] == [
        {"email": org.hr.email, "label": "Hana HR (HR)"}
    ]
    assert emails(lookup(client, "Harriet")) == [hr_on_ladder.email]  # HR without a team
    assert emails(lookup(client, "remi")) == []


def test_a_left_manager_is_not_suggested(org, as_user):
    org.other_manager.user.is_active = False
    org.other_manager.user.save(update_fields=["is_active"])

    assert emails(lookup(as_user(org.hr), "Otto")) == []


def test_suggestions_stop_at_twenty_in_name_order(org, as_user):
    managers = bulk_people(
        30, like=org.report, manager=org.boss, name="Lead {i:02}", email="lead{i:02}@example.com"
    )
    bulk_people(
        30,
        like=org.report,
        manager=lambda i: managers[i],
        name="Member {i:02}",
        email="member{i:02}@example.com",
    )

    found = emails(lookup(as_user(org.hr), "lead", "root"))

    assert found == [f"lead{i:02}@example.com" for i in range(forms.SUGGESTIONS)]


# The form: the part of the organisation ------------------------------------------------------


def test_the_part_of_the_organisation_is_given_by_email_in_any_case(org, as_user):
    response = as_user(org.hr).post(
        reverse("rounds:new"), round_data(org_root=f"  {org.manager.email.upper()} ")
    )

    assert response.status_code == 302
    assert Round.objects.get().org_root == org.manager


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("nobody@example.com", "Nobody here has the email nobody@example.com"),
        ("report@example.com", "Nobody reports to Remi Report"),
        ("not an email", "Nobody here has the email not an email"),
    ],
)
def test_an_unusable_part_of_the_organisation_is_explained_and_the_rest_kept(
    org, as_user, typed, message
):
    response = as_user(org.hr).post(
        reverse("rounds:new"),
        round_data(name="Kept name", org_root=typed, committee_add=org.manager.email),
    )

    assert response.status_code == 400
    assert not Round.objects.exists()
    assert message in " ".join(response.context["form"].errors["org_root"])
    content = response.content.decode()
    assert 'value="Kept name"' in content
    assert f'value="{org.manager.email}"' in content


def test_a_person_who_left_cannot_be_the_part_of_the_organisation(org, as_user):
    Employee.objects.filter(pk=org.other_manager.pk).update(is_active=False)

    response = as_user(org.hr).post(
        reverse("rounds:new"), round_data(org_root=org.other_manager.email)
    )

    assert response.status_code == 400
    assert "Otto Other has left" in response.context["form"].errors["org_root"][0]


def test_the_edit_form_shows_the_part_of_the_organisation_and_keeps_it(org, as_user):
    round = draft(org)
    round.org_root = org.boss
    round.save()
    client = as_user(org.hr)

    page = client.get(edit_url(round)).content.decode()
    client.post(edit_url(round), round_data(name="Renamed", org_root=org.boss.email))
    after_rename = Round.objects.get()
    client.post(edit_url(round), round_data(name="Renamed", org_root=""))

    assert re.search(rf'name="org_root" value="{re.escape(org.boss.email)}"', page)
    assert "Now everyone below Bo Director." in page
    assert (after_rename.name, after_rename.org_root) == ("Renamed", org.boss)
    assert Round.objects.get().org_root is None  # emptied: the whole organisation


# The form: the committee ---------------------------------------------------------------------


def test_a_new_round_without_the_default_committee_has_only_those_added(org, as_user):
    client = as_user(org.hr)

    client.post(reverse("rounds:new"), round_data(committee_add=org.other_manager.email))

    assert list(Round.objects.get().committee.all()) == [org.other_manager.user]


def test_the_default_committee_follows_the_scope_and_takes_those_added(org, as_user):
    client = as_user(org.hr)

    client.post(
        reverse("rounds:new"),
        round_data(
            default_committee="on",
            org_root=org.manager.email,  # nobody below Mina manages managers
            committee_add=f"{org.other_manager.email}; {org.other_manager.email}",
        ),
    )

    assert set(Round.objects.get().committee.all()) == {org.hr, org.other_manager.user}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ghost@example.com", "Nobody who can sign in has the email ghost@example.com."),
        ("report@example.com", "Remi Report (report@example.com) cannot sit on a committee"),
        ("twin@example.com", "twin@example.com is the email of more than one sign-in"),
    ],
)
def test_committee_emails_that_name_nobody_or_several_are_refused_with_nothing_lost(
    org, as_user, typed, message
):
    for username in ("twin-a", "twin-b"):
        UserFactory(username=username, email="twin@example.com", is_superuser=True)
    round = draft(org, [org.boss.user])

    response = as_user(org.hr).post(
        edit_url(round),
        round_data(
            name="Kept name",
            committee=[org.boss.user.pk],
            committee_add=f"{org.manager.email}, {typed}",
        ),
    )

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["committee_add"])
    content = response.content.decode()
    assert 'value="Kept name"' in content
    assert f"{org.manager.email}, {typed}" in content
    assert re.search(rf'value="{org.boss.user.pk}"[^>]*checked', content)
    assert list(round.committee.all()) == [org.boss.user]


def test_the_edit_form_lists_the_members_to_untick_and_adds_people(org, as_user):
    round = draft(org, [org.boss.user, org.manager.user])
    client = as_user(org.hr)

    page = client.get(edit_url(round)).content.decode()
    response = client.post(
        edit_url(round),
        round_data(committee=[org.manager.user.pk], committee_add=org.other_manager.email),
    )

    assert re.search(rf'value="{org.boss.user.pk}"[^>]*checked', page)
    assert "Bo Director" in page
    assert "Mina Manager" in page
    assert "Otto Other" not in page  # not a member: the form lists no one else
    assert response.status_code == 302
    assert set(round.committee.all()) == {org.manager.user, org.other_manager.user}


def test_a_big_committee_is_counted_and_people_are_taken_off_by_email(org, as_user, monkeypatch):
    monkeypatch.setattr(forms, "COMMITTEE_SHOWN", 2)
    round = draft(org, [org.boss.user, org.manager.user, org.other_manager.user])
    client = as_user(org.hr)

    page = client.get(edit_url(round)).content.decode()
    unchanged = client.post(edit_url(round), round_data(name="Renamed"))
    members_after_rename = set(round.committee.all())
    wrong = client.post(edit_url(round), round_data(committee_remove="report@example.com"))
    client.post(
        edit_url(round),
        round_data(committee_remove=org.boss.email, committee_add=org.hr.email),
    )

    assert "3 people are on it" in page
    assert "Bo Director" not in page
    assert unchanged.status_code == 302
    assert members_after_rename == {org.boss.user, org.manager.user, org.other_manager.user}
    assert wrong.status_code == 400
    assert wrong.context["form"].errors["committee_remove"] == [
        "report@example.com is not on the committee."
    ]
    assert set(round.committee.all()) == {org.manager.user, org.other_manager.user, org.hr}


def test_too_many_emails_at_once_are_refused(org, as_user):
    typed = ", ".join(f"p{i}@example.com" for i in range(forms.COMMITTEE_ADD_AT_ONCE + 1))

    response = as_user(org.hr).post(reverse("rounds:new"), round_data(committee_add=typed))

    assert response.status_code == 400
    assert "Add at most" in response.context["form"].errors["committee_add"][0]


def test_a_nul_character_is_a_form_error_not_a_crash(org, as_user):
    response = as_user(org.hr).post(
        reverse("rounds:new"), round_data(org_root="a\x00b", committee_add="c\x00d")
    )

    assert response.status_code == 400
    assert {"org_root", "committee_add"} <= set(response.context["form"].errors)


def test_the_boxes_ask_the_lookup_for_suggestions(org, as_user):
    content = as_user(org.hr).get(reverse("rounds:new")).content.decode()

    assert f'data-people-lookup="{LOOKUP}?for=root"' in content
    assert f'data-people-lookup="{LOOKUP}?for=committee"' in content
    assert 'id="round-root-suggestions"' in content
    assert 'id="round-committee-suggestions"' in content
    assert "js/people-lookup" in content


# Cost ------------------------------------------------------------------------------------------


def grow(org, managers, prefix):
    """`managers` more people with a team (each with a sign-in and one report) under the
    boss, their names starting with `prefix`: the choices the old form listed grow."""
    leads = bulk_people(
        managers,
        like=org.report,
        manager=org.boss,
        name=prefix + " {i:03}",
        email=prefix.lower() + "{i:03}@example.com",
    )
    for lead in leads:
        lead.user = UserFactory(username=f"{prefix.lower()}-{lead.pk}")
        lead.save(update_fields=["user"])
    bulk_people(
        managers,
        like=org.report,
        manager=lambda i: leads[i],
        name=prefix + " member {i:03}",
        email=prefix.lower() + "-member{i:03}@example.com",
    )


def queries(client, url):
    client.get(url)  # the first visit caches the ladder's structure
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.content)


def test_the_new_and_edit_pages_cost_the_same_however_many_managers(org, as_user):
    round = draft(org, [org.boss.user])
    client = as_user(org.hr)
    grow(org, 5, "Lead")
    few = [queries(client, reverse("rounds:new")), queries(client, edit_url(round))]
    grow(org, 45, "Head")
    many = [queries(client, reverse("rounds:new")), queries(client, edit_url(round))]

    # The same queries, and pages of the same size: nobody is listed but the members.
    assert [count for count, _ in few] == [count for count, _ in many]
    assert [size for _, size in few] == [size for _, size in many]


def test_the_lookup_costs_the_same_however_many_managers(org, as_user):
    client = as_user(org.hr)
    grow(org, 5, "Lead")
    with CaptureQueriesContext(connection) as few:
        lookup(client, "lead", "committee")
        lookup(client, "lead", "root")
    grow(org, 45, "Leader")

    with CaptureQueriesContext(connection) as many:
        found = emails(lookup(client, "lead", "root"))
        lookup(client, "lead", "committee")

    assert len(few) == len(many)
    assert len(found) == forms.SUGGESTIONS


@pytest.mark.parametrize("purpose", ["root", "committee"])
def test_a_lookup_is_planned_for_what_was_typed_every_time(org, as_user, purpose):
    """The lookup's statements are never kept prepared, whose plan would be made for any
    word typed."""
    client = as_user(org.hr)
    for _ in range(4):
        assert lookup(client, "mi", purpose).status_code == 200

    assert kept_statements("%LIKE%") == 0

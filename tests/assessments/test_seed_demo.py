"""The demo organisation that `make run` creates."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from assessments import selectors
from assessments.models import Employee, LevelAssignment

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
    from assessments.models import Evidence, Review

    seed(settings)

    assert Evidence.objects.filter(status="confirmed").count() >= 15
    assert Evidence.objects.filter(status="pending").count() == 1
    assert Evidence.objects.filter(visibility="private").count() == 1
    review = Review.objects.get()
    assert review.status == "shared"
    assert review.ratings.exclude(rating="").count() == review.ratings.count()

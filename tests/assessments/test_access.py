"""Who may see and do what: every person-scoped view, for every role."""

import datetime

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from assessments import urls as assessment_urls
from assessments.models import LevelAssignment

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "person",
    "manager",
    "managers_manager",
    "unrelated_manager",
    "hr",
    "outsider",
    "peer",
]


def user_for(org, role):
    return {
        "anonymous": None,
        "person": org.report.user,
        "manager": org.manager.user,
        "managers_manager": org.boss.user,
        "unrelated_manager": org.other_manager.user,
        "hr": org.hr,
        "outsider": org.outsider,
        "peer": org.teammate.user,
    }[role]


EXPECTED = {
    # view of the person ("report"): status per role, in ROLES order
    "person": [302, 200, 200, 200, 404, 200, 404, 404],
    "assign_level": [302, 403, 200, 200, 404, 200, 404, 404],
}


@pytest.mark.parametrize("view", EXPECTED)
@pytest.mark.parametrize("role", ROLES)
def test_person_views_for_every_role(org, as_user, view, role, caplog):
    client = as_user(user_for(org, role))
    url = reverse(f"assessments:{view}", kwargs={"pk": org.report.pk})

    response = client.get(url)

    expected = EXPECTED[view][ROLES.index(role)]
    assert response.status_code == expected
    if expected == 302:
        assert response.url.startswith(reverse("login"))
    if expected in {403, 404}:
        assert "Refused user" in caplog.text  # refusals are logged


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", "login"),
        ("person", "me"),
        ("manager", 200),
        ("managers_manager", 200),
        ("hr", 200),
        ("outsider", 403),
    ],
)
def test_team_page_for_every_role(org, as_user, role, status):
    response = as_user(user_for(org, role)).get(reverse("assessments:team"))

    if status == "login":
        assert response.url.startswith(reverse("login"))
    elif status == "me":  # someone with no reports is sent to their own page
        assert response.url == reverse("assessments:me")
    else:
        assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 302), ("person", 200), ("outsider", 200)]
)
def test_me_page_for_every_role(org, as_user, role, status):
    response = as_user(user_for(org, role)).get(reverse("assessments:me"))

    assert response.status_code == status


def person_scoped_urls():
    """Every URL of the people app that takes a person's id: new ones are swept too."""
    return [
        p.name
        for p in assessment_urls.urlpatterns
        if isinstance(p, URLPattern) and str(p.pattern).startswith("people/<int:pk>")
    ]


@pytest.mark.parametrize("name", person_scoped_urls())
@pytest.mark.parametrize("role", ["person", "peer", "manager", "unrelated_manager", "outsider"])
def test_sweep_other_peoples_ids_get_404(org, as_user, name, role):
    """Each user requests every person-scoped page of everyone outside their own tree."""
    client = as_user(user_for(org, role))
    everyone = [org.boss, org.manager, org.report, org.teammate, org.other_manager, org.stranger]
    visible = {
        "person": {org.report},
        "peer": {org.teammate},
        "manager": {org.manager, org.report, org.teammate},
        "unrelated_manager": {org.other_manager, org.stranger},
        "outsider": set(),
    }[role]
    for other in everyone:
        if other in visible:
            continue
        response = client.get(reverse(f"assessments:{name}", kwargs={"pk": other.pk}))
        assert response.status_code == 404, (name, role, other)
        response = client.post(reverse(f"assessments:{name}", kwargs={"pk": other.pk}), {})
        assert response.status_code == 404, (name, role, other, "POST")


def test_unknown_id_is_404_even_for_hr(org, as_user):
    response = as_user(org.hr).get(reverse("assessments:person", kwargs={"pk": 999999}))

    assert response.status_code == 404


def test_unrelated_manager_cannot_assign_a_level(org, as_user):
    client = as_user(org.other_manager.user)

    response = client.post(
        reverse("assessments:assign_level", kwargs={"pk": org.report.pk}),
        {
            "track": org.report.track_id,
            "level": org.ladder.levels.get(key="senior-pm").pk,
            "effective_on": timezone.localdate().isoformat(),
            "rationale": "Sneaky",
        },
    )

    assert response.status_code == 404
    assert LevelAssignment.objects.filter(employee=org.report).count() == 1


def test_the_person_cannot_promote_themselves(org, as_user):
    client = as_user(org.report.user)

    response = client.post(
        reverse("assessments:assign_level", kwargs={"pk": org.report.pk}),
        {
            "track": org.report.track_id,
            "level": org.ladder.levels.get(key="senior-pm").pk,
            "effective_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            "rationale": "I deserve it",
        },
    )

    assert response.status_code == 403
    org.report.refresh_from_db()
    assert org.report.level.key == "pm"


def test_the_single_check_and_the_queryset_agree_for_everyone(org):
    """`access.can` checks one person; lists use `access.restrict`: the same rule."""
    from assessments import access
    from assessments.models import Employee

    users = [org.hr, org.outsider] + [e.user for e in Employee.objects.select_related("user")]
    for user in users:
        for action in (access.VIEW, access.MANAGE):
            allowed = set(access.restrict(Employee.objects.all(), user, action))
            for employee in Employee.objects.all():
                fresh = type(user).objects.get(pk=user.pk)  # no cached lookups between checks
                assert access.can(fresh, action, employee) == (employee in allowed), (
                    user,
                    action,
                    employee,
                )

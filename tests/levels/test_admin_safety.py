"""Who reaches the admin, what HR may do there, and retiring what is in use."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from assessments.selectors import HR_GROUP
from levels.models import Expectation, Level

from ..factories import UserFactory, make_hr_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "reaches"),
    [("hr", True), ("superuser", True), ("staff", False), ("manager", False), ("pm", False)],
)
def test_only_hr_and_superusers_reach_the_admin(org, client, who, reaches):
    user = {
        "hr": make_hr_user(),
        "superuser": UserFactory(is_staff=True, is_superuser=True),
        "staff": UserFactory(is_staff=True),  # staff status alone is not enough
        "manager": org.manager.user,
        "pm": org.report.user,
    }[who]
    client.force_login(user)

    response = client.get(reverse("admin:levels_level_changelist"))

    if reaches:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_the_hr_group_has_exactly_what_hr_needs(db):
    codenames = set(Group.objects.get(name=HR_GROUP).permissions.values_list("codename", flat=True))

    assert {"add_level", "change_level", "delete_level", "change_expectation"} <= codenames
    assert {"view_employee", "add_employee", "change_employee"} <= codenames
    assert {"view_evidence", "view_review", "view_levelassignment"} <= codenames
    forbidden = {"delete_employee", "change_evidence", "delete_evidence", "change_review"}
    assert not codenames & forbidden
    assert not any(code.endswith("_user") or code.endswith("_group") for code in codenames)


def test_hr_retires_and_brings_back_levels_in_use(org, client):
    client.force_login(make_hr_user())
    level = org.report.level

    response = client.post(
        reverse("admin:levels_level_changelist"),
        {"action": "retire_selected", "_selected_action": [level.pk]},
        follow=True,
    )

    level.refresh_from_db()
    assert not level.is_active
    assert b"Retired 1." in response.content
    org.report.refresh_from_db()
    assert org.report.level == level  # people's records keep it
    client.post(
        reverse("admin:levels_level_changelist"),
        {"action": "bring_back_selected", "_selected_action": [level.pk]},
    )
    level.refresh_from_db()
    assert level.is_active


def test_retired_expectations_leave_the_pages(org, client):
    client.force_login(make_hr_user())
    expectation = Expectation.objects.filter(level=org.report.level).first()

    client.post(
        reverse("admin:levels_expectation_changelist"),
        {"action": "retire_selected", "_selected_action": [expectation.pk]},
    )
    page = client.get(
        reverse("levels:level", kwargs={"slug": org.ladder.slug, "key": org.report.level.key})
    )

    assert expectation.text not in page.content.decode()


def test_deleting_a_level_in_use_is_refused_with_the_way_out(org, client):
    client.force_login(make_hr_user())
    level = org.report.level

    page = client.get(reverse("admin:levels_level_delete", args=[level.pk]))
    client.post(reverse("admin:levels_level_delete", args=[level.pk]), {"post": "yes"})

    content = page.content.decode()
    assert f"The level “{level.name}” is in use, so it cannot be deleted" in content
    assert "doesn't have permission" not in content  # not Django's confusing wording
    assert org.report.full_name in content  # what points at it
    assert Level.objects.filter(pk=level.pk).exists()

    # The way out, from the same page: retire it.
    retired = client.post(
        reverse("admin:levels_level_changelist"),
        {"action": "retire_selected", "_selected_action": [level.pk]},
        follow=True,
    )
    assert 'value="Retire this level"' in content
    assert b"Retired 1." in retired.content
    level.refresh_from_db()
    assert not level.is_active
    again = client.get(reverse("admin:levels_level_delete", args=[level.pk]))
    assert b"It is already retired" in again.content


def test_an_unused_level_can_be_deleted(org, client):
    client.force_login(make_hr_user())
    spare = Level.objects.create(
        ladder=org.ladder, key="spare", name="Spare", short_name="Spare", summary="Unused"
    )

    client.post(reverse("admin:levels_level_delete", args=[spare.pk]), {"post": "yes"})

    assert not Level.objects.filter(pk=spare.pk).exists()


def test_a_pm_at_the_admin_sign_in_is_told_it_is_for_hr(org, client):
    org.report.user.set_password("a-long-test-password")
    org.report.user.save()

    refused = client.post(
        reverse("admin:login"),
        {"username": org.report.user.username, "password": "a-long-test-password"},
    )
    client.force_login(org.report.user)
    signed_in = client.get(reverse("admin:login"))

    assert "This sign-in is for HR." in refused.content.decode()
    assert reverse("home") in signed_in.content.decode()
    assert b"Go to PM Ladder" in signed_in.content


def test_deleting_a_ladder_people_are_on_is_refused_without_a_retire_button(org, client):
    client.force_login(make_hr_user())

    page = client.get(reverse("admin:levels_ladder_delete", args=[org.ladder.pk]))

    content = page.content.decode()
    assert f"The ladder “{org.ladder.name}” is in use, so it cannot be deleted" in content
    assert "A ladder that people are on stays." in content
    assert "Retire this" not in content

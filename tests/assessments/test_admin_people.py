"""HR's people admin: a sign-in is linked once and never to an administrator's account,
HR's own record is read-only, bringing someone back brings back their sign-in, and a
manager change is checked for loops under the lock; why a person changes is kept in their
admin history."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Employee

from ..adminforms import change_form_data, post_changed
from ..conftest import place
from ..factories import UserFactory, bulk_people

pytestmark = pytest.mark.django_db


def change_url(employee):
    return reverse("admin:assessments_employee_change", args=[employee.pk])


@pytest.fixture
def hr_client(org, as_user):
    return as_user(org.hr)


@pytest.fixture
def newcomer(org):
    """Someone just placed on the ladder, with no sign-in yet."""
    return services.place_employee(
        full_name="New Comer",
        email="new@example.com",
        ladder=org.ladder,
        track=org.report.track,
        level=org.report.level,
        effective_on=timezone.localdate(),
    )


def test_a_linked_sign_in_is_read_only(org, hr_client):
    page = hr_client.get(change_url(org.report))
    someone = UserFactory(username="someone")

    response = post_changed(hr_client, page, user=someone.username)

    assert "user" not in page.context["adminform"].form.fields
    assert "/admin/auth/user/" not in page.content.decode()  # shown as text, not a link
    assert response.status_code == 302
    org.report.refresh_from_db()
    assert org.report.user.username == "report"


@pytest.mark.parametrize("kind", ["staff", "superuser", "linked"])
def test_a_sign_in_is_never_an_admin_or_someone_elses(org, hr_client, newcomer, kind):
    account = {
        "staff": lambda: UserFactory(username="staffer", is_staff=True),
        "superuser": lambda: UserFactory(username="root", is_superuser=True),
        "linked": lambda: org.manager.user,
    }[kind]()
    page = hr_client.get(change_url(newcomer))

    response = post_changed(hr_client, page, user=account.username)

    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors["user"] == [
        {
            "staff": "That account is staff or a superuser: only a superuser may make it a "
            "person's sign-in.",
            "superuser": "That account is staff or a superuser: only a superuser may make it "
            "a person's sign-in.",
            "linked": "That account is already the sign-in of Mina Manager.",
        }[kind]
    ]
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_an_unlinked_person_gets_an_ordinary_sign_in(org, hr_client, newcomer):
    account = UserFactory(username="newcomer")

    response = post_changed(hr_client, hr_client.get(change_url(newcomer)), user="newcomer")

    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.user == account


def test_hr_cannot_change_their_own_record(hr_on_ladder, as_user):
    client = as_user(hr_on_ladder.user)
    page = client.get(change_url(hr_on_ladder))
    data = change_form_data(page) if page.context.get("adminform") else {}
    data["job_title"] = "Chief of Everything"

    response = client.post(change_url(hr_on_ladder), data)

    assert page.status_code == 200  # they may read it
    assert page.context["has_change_permission"] is False
    assert response.status_code == 403
    hr_on_ladder.refresh_from_db()
    assert hr_on_ladder.job_title != "Chief of Everything"


def test_another_hr_person_changes_it(org, hr_on_ladder, hr_client):
    response = post_changed(
        hr_client, hr_client.get(change_url(hr_on_ladder)), job_title="Head of People"
    )

    assert response.status_code == 302
    hr_on_ladder.refresh_from_db()
    assert hr_on_ladder.job_title == "Head of People"
    assert hr_on_ladder.user.username == "hrpm"  # saving the page keeps the sign-in


def test_bringing_someone_back_brings_back_their_sign_in(org, hr_client):
    services.deactivate_employee(employee=org.teammate)
    org.teammate.user.refresh_from_db()
    assert not org.teammate.user.is_active

    response = post_changed(hr_client, hr_client.get(change_url(org.teammate)), is_active="on")

    assert response.status_code == 302
    org.teammate.refresh_from_db()
    assert org.teammate.is_active
    assert get_user_model().objects.get(pk=org.teammate.user_id).is_active


def test_a_manager_change_that_makes_a_loop_is_a_form_error(org, hr_client):
    page = hr_client.get(change_url(org.manager))

    response = post_changed(hr_client, page, manager=str(org.report.pk))

    assert response.status_code == 200
    assert "would make a loop" in response.content.decode()
    org.manager.refresh_from_db()
    assert org.manager.manager == org.boss


def test_a_loop_closed_after_the_form_was_checked_is_refused_and_nothing_saved(
    org, hr_client, monkeypatch
):
    """Between the form's check and the save, someone else put Zed (to be the boss's
    manager) under the manager: the check under the lock refuses it, the page says so,
    and nothing is written."""
    zed = place(org.ladder, "zed", "Zed Top", "vp", "management")
    page = hr_client.get(change_url(org.boss))
    real_check = services.check_manager
    calls = []

    def check_then_race(employee, manager):
        calls.append(manager)
        real_check(employee, manager)
        if len(calls) == 1:  # the form's early check passed; now the other change lands
            services.set_manager(employee=zed, manager=org.manager)

    monkeypatch.setattr(services, "check_manager", check_then_race)

    response = post_changed(hr_client, page, manager=str(zed.pk), job_title="Renamed")

    assert response.status_code == 302
    assert response.url == change_url(org.boss)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("would make a loop" in m for m in messages)
    org.boss.refresh_from_db()
    assert org.boss.manager is None
    assert org.boss.job_title != "Renamed"  # the whole save was undone


def test_an_unknown_username_is_explained(org, hr_client, newcomer):
    response = post_changed(hr_client, hr_client.get(change_url(newcomer)), user="nobody")

    assert (
        response.context["adminform"]
        .form.errors["user"][0]
        .startswith("No account has the username nobody.")
    )


def test_a_superuser_may_link_a_staff_account(org, as_user, newcomer):
    from ..factories import UserFactory as Users

    root = Users(username="root", is_staff=True, is_superuser=True)
    staffer = Users(username="staffer", is_staff=True)
    client = as_user(root)

    response = post_changed(client, client.get(change_url(newcomer)), user="staffer")

    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.user == staffer


def test_records_show_who_wrote_them_as_text_not_links_hr_cannot_open(org, hr_client):
    from assessments import evidence

    item = evidence.record_evidence(
        employee=org.report,
        expectation=org.report.level.expectations.first(),
        by=org.manager.user,
        observed_on=timezone.localdate(),
        description="Led the launch.",
        visibility="shared",
    )
    pages = [
        hr_client.get(change_url(org.report)),  # the level history's "assigned by"
        hr_client.get(reverse("admin:assessments_evidence_change", args=[item.pk])),
    ]

    for page in pages:
        assert page.status_code == 200
        assert "/admin/auth/user/" not in page.content.decode()
    assert "Mina Manager" in pages[1].content.decode()


def test_hr_is_told_why_their_own_record_is_read_only(hr_on_ladder, as_user):
    page = as_user(hr_on_ladder.user).get(change_url(hr_on_ladder))

    content = page.content.decode()
    assert "This is your own record, so you can read it but not change it" in content
    assert "Assign level</a>" not in content


def test_why_a_person_changes_is_kept_in_their_admin_history(org, hr_client):
    page = hr_client.get(change_url(org.report))

    response = post_changed(
        hr_client,
        page,
        job_title="Product Manager II",
        manager=str(org.other_manager.pk),
        why="Moved to the payments team after the reorganisation.",
    )

    assert "Why is this changing? (optional)" in page.content.decode()
    assert response.status_code == 302
    org.report.refresh_from_db()
    assert org.report.manager == org.other_manager
    entry = LogEntry.objects.get(object_id=str(org.report.pk))
    assert entry.get_change_message() == (
        "Changed Job title and Manager. Why: Moved to the payments team after the reorganisation."
    )
    history = hr_client.get(
        reverse("admin:assessments_employee_history", args=[org.report.pk])
    ).content.decode()
    assert "Why: Moved to the payments team after the reorganisation." in history


def test_a_person_changed_without_a_reason_has_djangos_summary(org, hr_client):
    response = post_changed(
        hr_client, hr_client.get(change_url(org.report)), job_title="Product Manager II"
    )

    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(org.report.pk))
    assert entry.get_change_message() == "Changed Job title."


def test_a_reason_alone_changes_no_field_of_the_person(org, hr_client):
    response = post_changed(hr_client, hr_client.get(change_url(org.report)), why="Checked.")

    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(org.report.pk))
    assert entry.get_change_message() == "No fields changed. Why: Checked."


def test_a_new_persons_reason_is_kept(org, hr_client):
    response = hr_client.post(
        reverse("admin:assessments_employee_add"),
        {
            "full_name": "Nadia New",
            "email": "nadia@example.com",
            "job_title": "PM",
            "ladder": org.ladder.pk,
            "track": org.report.track_id,
            "level": org.report.level_id,
            "effective_on": timezone.localdate().isoformat(),
            "is_active": "on",
            "why": "Hired for the payments team.",
        },
    )

    assert response.status_code == 302
    nadia = Employee.objects.get(email="nadia@example.com")
    entry = LogEntry.objects.get(object_id=str(nadia.pk))
    assert entry.get_change_message() == "Added. Why: Hired for the payments team."


def test_an_over_long_reason_for_a_person_is_a_form_error(org, hr_client):
    response = post_changed(
        hr_client,
        hr_client.get(change_url(org.report)),
        job_title="Product Manager II",
        why="w" * 501,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["why"] == [
        "Ensure this value has at most 500 characters (it has 501)."
    ]
    org.report.refresh_from_db()
    assert org.report.job_title != "Product Manager II"
    assert not LogEntry.objects.filter(object_id=str(org.report.pk)).exists()


def test_hrs_own_read_only_record_does_not_ask_why(hr_on_ladder, as_user):
    page = as_user(hr_on_ladder.user).get(change_url(hr_on_ladder))

    assert page.status_code == 200
    assert "Why is this changing?" not in page.content.decode()


def test_the_people_list_shows_fifty_a_page_and_a_search_pages_the_same(
    org, hr_client, django_assert_max_num_queries
):
    bulk_people(60, like=org.report, manager=org.manager, name="Pat {i:02}", email="p{i}@x.org")
    people = reverse("admin:assessments_employee_changelist")

    with django_assert_max_num_queries(12):
        first = hr_client.get(people, {"q": "pat"})
    second = hr_client.get(people, {"q": "pat", "p": 2})

    assert first.status_code == second.status_code == 200
    assert len(first.context["cl"].result_list) == 50
    assert len(second.context["cl"].result_list) == 10
    assert first.context["cl"].result_count == 60

"""Text others will read is plain: names and titles with control characters, terminal
escapes or direction overrides are refused, dates before 1900 are typing slips, and a
decline reason is capped like other texts."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import evidence, services
from assessments.models import Employee, Evidence

from ..adminforms import post_changed

pytestmark = pytest.mark.django_db

BAD_NAMES = [
    "Eve\x1b[2J\x1b[31mAdmin",  # a terminal escape
    "Mallory\u202etxt.exe",  # right-to-left override
    "Line\nBreak",  # a new header line in an email subject
    "Nul\x00Byte",
    "Iso\u2066late",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_placing_someone_refuses_control_characters_in_names(org, name):
    with pytest.raises(ValidationError) as refused:
        services.place_employee(
            full_name=name,
            email="eve@example.com",
            ladder=org.ladder,
            track=org.report.track,
            level=org.report.level,
            effective_on=timezone.localdate(),
            job_title=name,
        )

    assert set(refused.value.message_dict) == {"full_name", "job_title"}
    assert "invisible control character" in refused.value.message_dict["full_name"][0]
    assert not Employee.objects.filter(email="eve@example.com").exists()


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_admin_refuses_them_too(org, as_user, name):
    client = as_user(org.hr)
    page = client.get(reverse("admin:assessments_employee_change", args=[org.report.pk]))

    response = post_changed(client, page, full_name=name)

    assert response.status_code == 200
    assert "full_name" in response.context["adminform"].form.errors
    org.report.refresh_from_db()
    assert org.report.full_name == "Remi Report"


def test_names_in_other_scripts_are_fine(org):
    person = services.place_employee(
        full_name="Zoë Ångström-Nakamura 中村 ابراهيم",
        email="zoe@example.com",
        ladder=org.ladder,
        track=org.report.track,
        level=org.report.level,
        effective_on=timezone.localdate(),
    )

    assert person.full_name.startswith("Zoë")


@pytest.mark.parametrize("year", [1, 1066, 1899])
def test_effective_dates_before_1900_are_refused(org, year):
    with pytest.raises(ValidationError) as refused:
        services.place_employee(
            full_name="Old Timer",
            email="old@example.com",
            ladder=org.ladder,
            track=org.report.track,
            level=org.report.level,
            effective_on=datetime.date(year, 1, 1),
        )

    assert "before 1900" in refused.value.message_dict["effective_on"][0]


def test_assigning_a_level_before_1900_is_refused_on_the_page(org, as_user):
    from .test_pages import assign_form, assign_url

    org.report.assignments.update(effective_on=datetime.date(1890, 1, 1))  # older data

    response = as_user(org.manager.user).post(
        assign_url(org.report), assign_form(org, effective_on="1899-12-31")
    )

    assert response.status_code == 400
    assert "before 1900" in response.content.decode()
    org.report.refresh_from_db()
    assert org.report.level.key == "pm"


def _pending_win(org):
    return evidence.log_win(
        employee=org.report,
        expectation=org.report.level.expectations.first(),
        by=org.report.user,
        observed_on=timezone.localdate(),
        description="Shipped it.",
    )


def test_a_decline_reason_is_capped(org, as_user):
    win = _pending_win(org)
    limit = Evidence._meta.get_field("decline_reason").max_length
    typed = "y" * (limit + 1)

    with pytest.raises(ValidationError) as refused:
        evidence.decline_win(evidence=win, by=org.manager.user, reason="x" * (limit + 1))
    response = as_user(org.manager.user).post(
        reverse("assessments:evidence_decline", args=[win.pk]), {"reason": typed, "next": "team"}
    )

    message = f"Keep the reason to at most {limit:,} characters."
    assert refused.value.message_dict["reason"] == [message]
    assert response.status_code == 400  # the reason again, as typed, with the problem beside it
    content = response.content.decode()
    assert message in content
    assert f">{typed}</textarea>" in content
    assert 'name="next" value="team"' in content
    win.refresh_from_db()
    assert win.status == Evidence.Status.PENDING


def test_a_blank_decline_reason_is_asked_for_again(org, as_user):
    win = _pending_win(org)

    response = as_user(org.manager.user).post(
        reverse("assessments:evidence_decline", args=[win.pk]), {"reason": "  "}
    )

    assert response.status_code == 400
    assert "Say why, so they can do something about it." in response.content.decode()


def test_a_reason_at_the_limit_is_kept(org):
    win = _pending_win(org)
    limit = Evidence._meta.get_field("decline_reason").max_length

    evidence.decline_win(evidence=win, by=org.manager.user, reason="z" * limit)

    win.refresh_from_db()
    assert (win.status, len(win.decline_reason)) == (Evidence.Status.DECLINED, limit)

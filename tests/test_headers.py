"""Pages with personal data are never kept by a shared cache or the browser:
`Cache-Control: private, no-store` on every response to a signed-in person."""

import pytest
from django.urls import reverse

from assessments import reviews

from .assessments.test_evidence import record

pytestmark = pytest.mark.django_db


def cache_control(response):
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}


def personal_pages(org):
    evidence = record(org)
    review = reviews.start_review(employee=org.report, target_level=org.report.level, by=org.hr)
    pk = org.report.pk
    return {
        "me": (org.report.user, reverse("assessments:me")),
        "person": (org.manager.user, reverse("assessments:person", kwargs={"pk": pk})),
        "packet": (org.manager.user, reverse("assessments:packet", kwargs={"pk": pk})),
        "review": (org.hr, reverse("assessments:review", kwargs={"pk": review.pk})),
        "evidence": (
            org.manager.user,
            reverse("assessments:evidence_edit", kwargs={"pk": evidence.pk}),
        ),
        "team": (org.manager.user, reverse("assessments:team")),
        "admin": (org.hr, reverse("admin:assessments_employee_change", args=[pk])),
        "refusal": (org.stranger.user, reverse("assessments:person", kwargs={"pk": pk})),
    }


@pytest.mark.parametrize(
    "page", ["me", "person", "packet", "review", "evidence", "team", "admin", "refusal"]
)
def test_pages_with_personal_data_are_not_stored(org, as_user, page):
    user, url = personal_pages(org)[page]

    response = as_user(user).get(url)

    assert response.status_code == (404 if page == "refusal" else 200)
    assert {"private", "no-store"} <= cache_control(response)


def test_a_page_that_sets_its_own_caching_keeps_it(client_signed_in):
    response = client_signed_in.get(reverse("healthz"))

    assert "max-age=0" in cache_control(response)
    assert "no-store" in cache_control(response)


def test_static_files_keep_their_caching(client_signed_in):
    response = client_signed_in.get("/static/css/app.css")

    assert response.status_code == 200
    assert "no-store" not in cache_control(response)


def test_anonymous_pages_are_left_alone(client):
    response = client.get(reverse("password_reset_done"))

    assert "no-store" not in cache_control(response)

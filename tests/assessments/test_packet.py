"""The printable promotion packet."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import evidence as evidence_services
from levels.models import Expectation

pytestmark = pytest.mark.django_db


def packet_url(person, level=None):
    url = reverse("assessments:packet", kwargs={"pk": person.pk})
    return f"{url}?level={level}" if level else url


def record(org, level="senior-pm", index=0, visibility="shared", days_ago=5, **extra):
    expectation = Expectation.objects.filter(level__ladder=org.ladder, level__key=level).order_by(
        "category__position", "position"
    )[index]
    return evidence_services.record_evidence(
        employee=org.report,
        expectation=expectation,
        by=org.manager.user,
        observed_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        description=extra.pop("description", f"Evidence {index}"),
        visibility=visibility,
        **extra,
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("person", 403),
        ("manager", 200),
        ("boss", 200),
        ("hr", 200),
        ("unrelated", 404),
        ("peer", 404),
    ],
)
def test_packet_for_every_role(org, as_user, role, status):
    user = {
        "person": org.report.user,
        "manager": org.manager.user,
        "boss": org.boss.user,
        "hr": org.hr,
        "unrelated": org.other_manager.user,
        "peer": org.teammate.user,
    }[role]

    assert as_user(user).get(packet_url(org.report)).status_code == status


def test_anonymous_is_sent_to_sign_in(org, client):
    response = client.get(packet_url(org.report))

    assert response.url.startswith(reverse("login"))


def test_packet_holds_the_case_for_the_next_level(org, as_user):
    impact = org.ladder.promotion_criteria.get(name="Impact")
    record(org, description="Owned the checkout P&L", criteria=[impact])
    record(org, index=1, visibility="private", description="Private: ready soon")

    response = as_user(org.manager.user).get(packet_url(org.report))

    content = response.content.decode()
    assert response.context["target"].key == "senior-pm"  # the next level on their track
    assert "Promotion packet: Remi Report" in content
    assert "Own critical product lines with P&amp;L impact" in content
    assert "Owned the checkout P&amp;L" in content
    assert "Private: ready soon" in content  # for managers, marked private
    assert "(private: not counted)" in content
    assert "Not having advocates in leadership" in content  # blockers
    assert "Evidence for 1 of 16 expectations" in content  # the private note does not count


def test_packet_for_another_level_and_an_unknown_one(org, as_user):
    client = as_user(org.manager.user)

    staff = client.get(packet_url(org.report, "staff-pm"))
    unknown = client.get(packet_url(org.report, "astronaut"))

    assert staff.context["target"].key == "staff-pm"
    assert unknown.status_code == 404


def test_packet_query_count_is_the_same_with_1_and_500_evidence_items(org, as_user):
    client = as_user(org.manager.user)
    impact = org.ladder.promotion_criteria.get(name="Impact")
    record(org, criteria=[impact])
    client.get(packet_url(org.report))  # the first visit caches the ladder's structure

    with CaptureQueriesContext(connection) as one:
        client.get(packet_url(org.report))
    for n in range(499):
        record(org, index=n % 16, days_ago=n % 300, criteria=[impact] if n % 3 else [])
    with CaptureQueriesContext(connection) as many:
        response = client.get(packet_url(org.report))

    assert response.status_code == 200
    assert len(one) == len(many)


def test_team_and_person_pages_cost_the_same_with_1_and_500_evidence_items(org, as_user):
    client = as_user(org.manager.user)
    urls = [
        reverse("assessments:team"),
        reverse("assessments:person", kwargs={"pk": org.report.pk}),
    ]
    record(org)

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    counts()  # the first visits cache the ladder's structure (levels.structure)
    before = counts()
    for n in range(499):
        record(org, level="pm" if n % 2 else "senior-pm", index=n % 16, days_ago=n % 300)
    counts()  # the team page counts the report's readiness again, and keeps it

    assert counts() == before


def test_packet_lists_growth_notes_apart_as_what_to_work_on(org, as_user):
    record(org, description="Owned the checkout P&L")
    record(org, index=1, kind="growth", description="Roadmaps lack a clear why")
    record(org, index=2, kind="growth", visibility="private", description="Quiet in reviews")

    content = as_user(org.manager.user).get(packet_url(org.report)).content.decode()

    expectations, _, rest = content.partition('id="packet-growth"')
    to_work_on, _, _ = rest.partition('id="packet-criteria"')
    assert "Owned the checkout P&amp;L" in expectations
    assert "Roadmaps lack a clear why" not in expectations
    assert "1 growth note: see To work on." in expectations
    assert ">To work on</h2>" in to_work_on
    assert "Roadmaps lack a clear why" in to_work_on
    assert "(private) · " in to_work_on
    assert "Quiet in reviews" in to_work_on
    assert "Owned the checkout P&amp;L" not in to_work_on
    assert "Evidence for 1 of 16 expectations" in content  # growth notes never count


def test_packet_writes_the_badge_and_the_review_in_one_vocabulary(org, as_user):
    from assessments.models import Review

    Review.objects.create(
        employee=org.report, target_level=org.ladder.levels.get(key="senior-pm"),
        target_level_name="Senior Product Manager", author=org.manager.user,
        status=Review.Status.SHARED, readiness=Review.Readiness.DEVELOPING, summary="Close.",
    )  # fmt: skip

    content = as_user(org.manager.user).get(packet_url(org.report)).content.decode()

    assert '<span class="badge readiness-building">Not yet</span>' in content
    assert "overall readiness: <strong>Getting close</strong>" in content
    assert "Ready: at least 80% of the expectations shown with evidence over at least 6 months" in (
        content
    )
    for old in ("Building evidence", "Getting there", "Not ready yet"):
        assert old not in content

"""The packet a nomination carries: what the person can read (shared, confirmed evidence,
growth notes labelled), never private notes or evidence waiting, declined or deleted; the
readiness figure everyone else sees; and frozen as it stood when nominations closed."""

import datetime
import json

import pytest
from django.utils import timezone

from assessments import evidence as evidence_services
from assessments import readiness
from assessments import services as people
from levels.models import Expectation
from rounds import selectors, services
from rounds.models import Nomination

from ..factories import make_round

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def expectations(org, level="senior-pm"):
    return list(
        Expectation.objects.filter(level__ladder=org.ladder, level__key=level).order_by(
            "category__position", "position"
        )
    )


def record(org, expectation, description, observed_on, **extra):
    fields = {"visibility": "shared", **extra}
    return evidence_services.record_evidence(
        employee=org.report,
        expectation=expectation,
        by=org.manager.user,
        observed_on=observed_on,
        description=description,
        **fields,
    )


def win(org, expectation, description):
    return evidence_services.log_win(
        employee=org.report,
        expectation=expectation,
        by=org.report.user,
        observed_on=days_ago(3),
        description=description,
    )


def nominate(org, round):
    target = selectors.targets_for(org.report)[0]
    return services.nominate(
        round=round,
        employee=org.report,
        target_level=target.level,
        target_track=target.track,
        cases={c.pk: "A clear case." for c in org.ladder.promotion_criteria.all()},
        by=org.manager.user,
    )


@pytest.fixture
def recorded(org):
    """The report's record against the next level (Senior PM): two shared pieces that
    show it, a growth note, a private note, a win waiting, a win declined, a deleted item,
    and shared evidence of their current level (not the target's)."""
    items = expectations(org)
    record(org, items[0], "Shared win long ago", days_ago(220))
    record(org, items[1], "Shared win lately", days_ago(10))
    record(org, items[2], "A growth note on planning", days_ago(9), kind="growth")
    record(org, items[3], "A private concern", days_ago(8), visibility="private")
    win(org, items[4], "A win waiting")
    declined = win(org, items[5], "A win declined")
    evidence_services.decline_win(evidence=declined, by=org.manager.user, reason="Not theirs.")
    deleted = record(org, items[6], "A deleted item", days_ago(7))
    evidence_services.delete_evidence(evidence=deleted, by=org.manager.user)
    record(org, expectations(org, "pm")[0], "Current level work", days_ago(6))
    return items


def listed(packet):
    return {
        (evidence["description"], evidence["kind"])
        for expectation in packet["expectations"]
        for evidence in expectation["evidence"]
    }


def test_the_packet_carries_shared_confirmed_evidence_only(org, recorded):
    packet = selectors.packet(nominate(org, make_round(by=org.hr)))

    assert listed(packet) == {
        ("Shared win long ago", "shows"),
        ("Shared win lately", "shows"),
        ("A growth note on planning", "growth"),
    }
    text = json.dumps(packet)
    for hidden in ("A private concern", "A win waiting", "A win declined", "A deleted item"):
        assert hidden not in text
    # Each item sits under its own expectation.
    by_text = {e["text"]: e for e in packet["expectations"]}
    assert [e["description"] for e in by_text[recorded[2].text]["evidence"]] == [
        "A growth note on planning"
    ]
    assert by_text[recorded[2].text]["covered"] is False  # a growth note shows nothing


def test_the_packets_readiness_is_everyones_figure(org, recorded):
    nomination = nominate(org, make_round(by=org.hr))
    packet = selectors.packet(nomination)

    result = readiness.readiness(employee=org.report, level=nomination.target_level)
    code, label = result.badge
    figure = packet["readiness"]
    assert (figure["covered"], figure["total"], figure["percent"]) == (
        result.covered,
        result.total,
        result.percent,
    )
    assert (figure["code"], figure["label"]) == (code, label)
    assert (figure["first"], figure["last"]) == (
        days_ago(220).isoformat(),
        days_ago(10).isoformat(),
    )
    assert figure["covered"] == 2  # the two shared pieces that show it
    assert figure["consistent"] == result.consistent
    assert [(c["name"], c["shown"], c["total"]) for c in packet["categories"]] == [
        (c.name, c.shown, c.total) for c in result.by_category()
    ]
    assert (packet["level"], packet["from_level"]) == (
        nomination.target_level.name,
        org.report.level.name,
    )


def test_closing_nominations_freezes_the_packet(org, recorded):
    round = make_round(by=org.hr)
    nomination = nominate(org, round)
    assert Nomination.objects.get(pk=nomination.pk).snapshot is None

    services.close_nominations(round=round, by=org.hr)
    nomination.refresh_from_db()
    frozen = nomination.snapshot
    assert frozen["readiness"]["covered"] == 2
    assert listed(frozen) == listed(selectors.packet(nomination))
    assert nomination.changes.filter(action="frozen", changed_by=org.hr).exists()

    record(org, recorded[7], "Added after the deadline", days_ago(1))

    live = selectors.packet(nomination)
    assert live["readiness"]["covered"] == 3
    assert ("Added after the deadline", "shows") in listed(live)
    nomination.refresh_from_db()
    assert nomination.snapshot == frozen
    assert selectors.packet_of(nomination) == frozen
    assert ("Added after the deadline", "shows") not in listed(selectors.packet_of(nomination))


def test_before_closing_the_packet_is_the_live_one(org, recorded):
    nomination = nominate(org, make_round(by=org.hr))
    record(org, recorded[7], "Added while nominating", days_ago(1))

    assert ("Added while nominating", "shows") in listed(selectors.packet_of(nomination))


def test_time_in_level_and_manager(org):
    # Two years ago an APM, a PM since seven months ago.
    ines = people.place_employee(
        full_name="Ines Newer",
        email="ines@example.com",
        ladder=org.ladder,
        track=org.ladder.tracks.get(key="ic"),
        level=org.ladder.levels.get(key="apm"),
        effective_on=readiness.add_months(TODAY, -24),
        manager=org.manager,
    )
    people.assign_level(
        employee=ines,
        level=org.ladder.levels.get(key="pm"),
        track=ines.track,
        effective_on=readiness.add_months(TODAY, -7),
        by=org.boss.user,
    )
    round = make_round(by=org.hr)
    target = selectors.targets_for(ines)[0]
    nomination = services.nominate(
        round=round,
        employee=ines,
        target_level=target.level,
        target_track=target.track,
        cases={c.pk: "A clear case." for c in org.ladder.promotion_criteria.all()},
        by=org.boss.user,
    )

    packet = selectors.packet(nomination)

    assert packet["months_in_level"] == 7
    assert packet["level_since"] == readiness.add_months(TODAY, -7).isoformat()
    assert packet["manager"] == "Mina Manager"
    assert packet["track"] == "Individual Contributor"
    assert selectors.packet(nominate(org, round))["manager"] == "Mina Manager"


def test_months_between():
    assert selectors.months_between(None, TODAY) == 0
    assert selectors.months_between(datetime.date(2024, 1, 31), datetime.date(2024, 3, 30)) == 1
    assert selectors.months_between(datetime.date(2024, 1, 15), datetime.date(2025, 1, 15)) == 12
    assert selectors.months_between(datetime.date(2025, 1, 15), datetime.date(2024, 1, 15)) == 0

"""A hand-built organisation with known figures for the organisation view.

The personas of `tests/conftest.py`, with histories, evidence and a round (days ago):

boss (Director, M7)            placed 360 days ago
├── manager (PM Manager, M6)   placed 360 days ago
│   ├── report (PM, L4)        APM 900 days ago, PM 780 (a promotion): in level 2+ years;
│   │                          Ready for Senior PM (every expectation shown, over 8 months);
│   │                          evidence 10 days ago; nominated in the open round
│   └── teammate (APM, L3)     placed 90 days ago; Getting close to PM (half its
│                              expectations, 120 days ago); deleted evidence 5 days ago
└── other_manager (PM Manager) placed 360 days ago; Staff PM (IC) 200 days ago and PM
    │                          Manager again 100 days ago: two lateral moves
    └── stranger (PM, L4)      placed 360 days ago; Senior PM 200 days ago (a promotion),
                               PM 50 days ago (a step-down); evidence 100 days ago only
"""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Employee, LevelAssignment
from levels.models import Expectation
from rounds.models import Nomination

from ..factories import make_evidence, make_round

TODAY = timezone.localdate()


def ago(days):
    return TODAY - datetime.timedelta(days=days)


def history(person, *steps):
    """Replace `person`'s level history with `steps` [(level key, track key, days ago)],
    oldest first; the last is their current level."""
    ladder = person.ladder
    LevelAssignment.objects.filter(employee=person).delete()
    for level_key, track_key, days in steps:
        level, track = ladder.levels.get(key=level_key), ladder.tracks.get(key=track_key)
        LevelAssignment.objects.create(
            employee=person, level=level, track=track, effective_on=ago(days)
        )
    person.level, person.track = level, track
    person.save(update_fields=["level", "track"])
    services.keep_level_since(Employee.objects.filter(pk=person.pk))
    person.refresh_from_db(fields=["level_since"])


def evidence(person, expectation, days, *, by=None, **fields):
    return make_evidence(person, expectation, ago(days), by=by, **fields)


@dataclass
class Known:
    org: object
    round: object


@pytest.fixture
def known(org):
    history(org.boss, ("director", "management", 360))
    history(org.manager, ("pm-manager", "management", 360))
    history(
        org.other_manager,
        ("pm-manager", "management", 360),
        ("staff-pm", "ic", 200),
        ("pm-manager", "management", 100),
    )
    history(org.report, ("apm", "ic", 900), ("pm", "ic", 780))
    history(org.teammate, ("apm", "ic", 90))
    history(org.stranger, ("pm", "ic", 360), ("senior-pm", "ic", 200), ("pm", "ic", 50))
    by = org.manager.user
    senior = list(Expectation.objects.active().filter(level__key="senior-pm"))
    for i, expectation in enumerate(senior):
        evidence(org.report, expectation, 240 if i == 0 else 10, by=by)
    pm = list(Expectation.objects.active().filter(level__key="pm"))
    for expectation in pm[: (len(pm) + 1) // 2]:
        evidence(org.teammate, expectation, 120, by=by)
    evidence(org.teammate, pm[0], 5, by=by, deleted_at=timezone.now())
    evidence(org.stranger, pm[0], 100, by=org.other_manager.user)
    round = make_round(by=org.hr, name="Spring round")
    Nomination.objects.create(
        round=round,
        employee=org.report,
        from_level=org.report.level,
        target_level=org.ladder.levels.get(key="senior-pm"),
        target_track=org.report.track,
        nominated_by=by,
    )
    return Known(org=org, round=round)

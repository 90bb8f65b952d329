"""Shared fixtures: the default ladder, and an organisation of personas on it.

boss (Director)
├── manager (PM Manager)
│   ├── report (PM)            ← "the person" of most tests
│   └── teammate (APM)
└── other_manager (PM Manager)
    └── stranger (PM)
hr: staff in the HR group (as HR users are), not on the ladder
outsider: a user with no place on the ladder
"""

import datetime
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from assessments import services as people
from levels import services
from levels.models import Ladder

from .factories import UserFactory


@pytest.fixture
def user(db):
    """A signed-in-able user with no special rights and no place on the ladder."""
    return UserFactory(username="pat")


@pytest.fixture
def client_signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def default_ladder(db):
    """The Product Management ladder shipped with the app, with its history, as
    `services.load_default_ladder` writes it."""
    return _ShippedLadder.load()


class _ShippedLadder:
    """Loads the shipped ladder the first time in each test process and keeps its rows;
    later tests get the same rows (same ids, same history) written back in one bulk
    insert a table, several times faster than loading the file again. Only into a database
    with no ladder data at all; otherwise, and until the rows are kept, it loads the file."""

    rows = None  # [(model, [instances])], in an order that satisfies foreign keys

    @classmethod
    def load(cls):
        models = list(apps.get_app_config("levels").get_models())
        empty = not any(model.objects.exists() for model in (Ladder, Ladder.history.model))
        if cls.rows is None or not empty:
            ladder = services.load_default_ladder().ladder
            if cls.rows is None and empty:
                cls.rows = [(model, list(model.objects.order_by("pk"))) for model in models]
            return ladder
        for model, instances in cls.rows:
            model.objects.bulk_create(instances)
        with connection.cursor() as cursor:  # PostgreSQL: the ids go on after the copied ones
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        return Ladder.objects.get()


def place(ladder, username, full_name, level, track="ic", manager=None, months_ago=12):
    """Put a new person with a sign-in on `ladder` at `level` (a key)."""
    first, _, last = full_name.partition(" ")
    return people.place_employee(
        full_name=full_name,
        email=f"{username}@example.com",
        ladder=ladder,
        track=ladder.tracks.get(key=track),
        level=ladder.levels.get(key=level),
        effective_on=timezone.localdate() - datetime.timedelta(days=30 * months_ago),
        manager=manager,
        job_title=f"{full_name}'s title",
        user=UserFactory(username=username, first_name=first, last_name=last),
    )


@dataclass
class Org:
    ladder: object
    boss: object
    manager: object
    report: object
    teammate: object
    other_manager: object
    stranger: object
    hr: object
    outsider: object


@pytest.fixture
def org(default_ladder):
    boss = place(default_ladder, "boss", "Bo Director", "director", "management")
    manager = place(default_ladder, "manager", "Mina Manager", "pm-manager", "management", boss)
    other = place(default_ladder, "other", "Otto Other", "pm-manager", "management", boss)
    hr = UserFactory(username="hr", first_name="Hana", last_name="HR", is_staff=True)
    hr.groups.add(people.ensure_hr_group())
    return Org(
        ladder=default_ladder,
        boss=boss,
        manager=manager,
        report=place(default_ladder, "report", "Remi Report", "pm", manager=manager),
        teammate=place(default_ladder, "teammate", "Tea Mate", "apm", manager=manager),
        other_manager=other,
        stranger=place(default_ladder, "stranger", "Stan Stranger", "pm", manager=other),
        hr=hr,
        outsider=UserFactory(username="outsider"),
    )


@pytest.fixture
def as_user(client):
    """Sign the test client in as a given user (or out, with None) and return it."""

    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def hr_on_ladder(org):
    """An HR person who is also an employee: a PM reporting to the boss, staff in the HR
    group. Acting on anyone else as HR, but never on their own record."""
    employee = place(org.ladder, "hrpm", "Harriet People", "pm", manager=org.boss)
    employee.user.is_staff = True
    employee.user.save(update_fields=["is_staff"])
    employee.user.groups.add(people.ensure_hr_group())
    return employee


@pytest.fixture
def superuser_on_ladder(org):
    """A superuser who is also an employee, reporting to the boss."""
    employee = place(org.ladder, "rootpm", "Sue Perr", "senior-pm", manager=org.boss)
    employee.user.is_staff = employee.user.is_superuser = True
    employee.user.save(update_fields=["is_staff", "is_superuser"])
    return employee

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
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from assessments import services as people
from assessments.models import Employee
from levels import services
from levels.models import Ladder

from .factories import UserFactory


@pytest.fixture(autouse=True)
def navigation_counted_on_every_page(settings):
    """The navigation's counts are counted on every page, as on a person's first page in a
    minute, so that query budgets pin that dearer page and what a page shows follows each
    change at once. `tests/assessments/test_navigation_kept.py` keeps them, as served."""
    settings.NAVIGATION_COUNTS_SECONDS = 0


@pytest.fixture
def user(db):
    """A signed-in-able user with no special rights and no place on the ladder."""
    return UserFactory(username="pat")


@pytest.fixture
def client_signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Each test process's database, with the rows of the shipped ladder and of the
    personas written once and set aside (`_SetAside`)."""
    with django_db_blocker.unblock():
        _SET_ASIDE.prepare(
            [
                (LADDER, services.load_default_ladder),
                (PERSONAS, lambda: _build_org(Ladder.objects.get())),
            ]
        )


@pytest.fixture
def default_ladder(db):
    """The Product Management ladder shipped with the app, with its history, as
    `services.load_default_ladder` writes it."""
    if _SET_ASIDE.copy_back(LADDER):
        ladder = Ladder.objects.get()
        ladder.copied_back = True
        return ladder
    return services.load_default_ladder().ladder


LADDER, PERSONAS = "ladder", "personas"


class _SetAside:
    """Loading the ladder file and placing the personas would cost most tests more than the
    rest of their setup, so each test process does it once, when its database is made:
    step by step, it moves the rows each step wrote into tables of their own
    (`aside_<step>_<table>`, which no model knows: flushes and migrations leave them
    alone) and empties the app's tables again. A test then copies a step's rows back, one
    statement a table, with the same ids as writing them again would give.

    A step is only set aside when it leaves the rows already there as they were and leaves
    nothing to run on commit (a test's transaction never commits); it is only copied back
    into tables with nothing added since, on the day it was written (the rows hold dates).
    Otherwise the fixtures write the rows themselves."""

    def __init__(self):
        self.steps = {}  # step: [(model, rows above this pk are the step's)]
        self.day = None

    def prepare(self, steps):
        models = [
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        ]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                marks = [{model: _rows(cursor, model) for model in models}]
                for _, write in steps:
                    write()
                    marks.append({model: _rows(cursor, model) for model in models})
                for earlier in marks[:-1]:  # the rows there before a step are as they were
                    for model, rows in earlier.items():
                        if marks[-1][model][: len(rows)] != rows:
                            raise _NotSetAside(f"{model._meta.label} changed")
                if connection.run_on_commit:
                    raise _NotSetAside("work left to run on commit")
                for number, (name, _) in enumerate(steps):
                    self.steps[name] = []
                    for model in models:
                        pk, table = _quote(model._meta.pk.column), _quote(model._meta.db_table)
                        before, after = marks[number][model], marks[number + 1][model]
                        if len(after) == len(before):
                            continue
                        if not isinstance(after[-1][0], int):
                            raise _NotSetAside(f"{model._meta.label} has no number for ids")
                        top = before[-1][0] if before else 0
                        aside = _quote(f"aside_{name}_{model._meta.db_table}")
                        cursor.execute(f"DROP TABLE IF EXISTS {aside}")
                        cursor.execute(
                            f"CREATE TABLE {aside} AS SELECT * FROM {table} "
                            f"WHERE {pk} > %s AND {pk} <= %s",
                            [top, after[-1][0]],
                        )
                        self.steps[name].append((model, top))
                for model, top in [pair for added in self.steps.values() for pair in added]:
                    pk, table = _quote(model._meta.pk.column), _quote(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table} WHERE {pk} > %s", [top])
        except _NotSetAside:
            self.steps = {}
        self.day = timezone.localdate()

    def copy_back(self, name):
        """Copy the rows of step `name` back; whether it could."""
        added = self.steps.get(name)
        if not added or self.day != timezone.localdate():
            return False
        # One transaction, so that foreign keys are checked once every table is filled.
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                return self._copy_back(cursor, added, name)
        except _NotSetAside:
            return False

    def _copy_back(self, cursor, added, name):
        """Copy the rows back in the transaction open (`copy_back`), or raise _NotSetAside."""
        cursor.execute(
            "SELECT "
            + " OR ".join(
                f"EXISTS (SELECT 1 FROM {_quote(model._meta.db_table)} "
                f"WHERE {_quote(model._meta.pk.column)} > %s)"
                for model, _ in added
            ),
            [top for _, top in added],
        )
        if cursor.fetchone()[0]:
            raise _NotSetAside("rows added since")
        for model, _ in added:
            table = model._meta.db_table
            aside = _quote(f"aside_{name}_{table}")
            cursor.execute(f"INSERT INTO {_quote(table)} SELECT * FROM {aside}")
        # PostgreSQL: new ids go on after the copied ones.
        models = [model for model, _ in added]
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        # The rows may link to rows there before the step (say a group a migration
        # made), which a test that commits empties away: then they are written anew.
        try:
            connection.check_constraints(table_names=[model._meta.db_table for model in models])
        except IntegrityError as error:
            raise _NotSetAside("rows it links to are gone") from error
        return True


class _NotSetAside(Exception):
    pass


def _rows(cursor, model):
    """Every row of `model`'s table, each led by its id, by id."""
    pk, table = _quote(model._meta.pk.column), _quote(model._meta.db_table)
    cursor.execute(f"SELECT {pk}, * FROM {table} ORDER BY {pk}")
    return cursor.fetchall()


def _quote(name):
    return connection.ops.quote_name(name)


_SET_ASIDE = _SetAside()


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
    if getattr(default_ladder, "copied_back", False) and _SET_ASIDE.copy_back(PERSONAS):
        employees = {
            employee.user.username: employee
            for employee in Employee.objects.select_related("user", "level", "track", "manager")
        }
        for employee in employees.values():
            employee.ladder = default_ladder
        users = get_user_model().objects.in_bulk(["hr", "outsider"], field_name="username")
        return Org(
            ladder=default_ladder,
            boss=employees["boss"],
            manager=employees["manager"],
            report=employees["report"],
            teammate=employees["teammate"],
            other_manager=employees["other"],
            stranger=employees["stranger"],
            hr=users["hr"],
            outsider=users["outsider"],
        )
    return _build_org(default_ladder)


def _build_org(ladder):
    boss = place(ladder, "boss", "Bo Director", "director", "management")
    manager = place(ladder, "manager", "Mina Manager", "pm-manager", "management", boss)
    other = place(ladder, "other", "Otto Other", "pm-manager", "management", boss)
    hr = UserFactory(username="hr", first_name="Hana", last_name="HR", is_staff=True)
    hr.groups.add(people.ensure_hr_group())
    return Org(
        ladder=ladder,
        boss=boss,
        manager=manager,
        report=place(ladder, "report", "Remi Report", "pm", manager=manager),
        teammate=place(ladder, "teammate", "Tea Mate", "apm", manager=manager),
        other_manager=other,
        stranger=place(ladder, "stranger", "Stan Stranger", "pm", manager=other),
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


@pytest.fixture
def later(monkeypatch):
    """Move the clock that kept values (`pmladder.kept`) are read against `seconds` on,
    in the process and in the cache table, where they run out."""
    import time

    from django.core.cache.backends import db

    def move(seconds):
        now = time.time() + seconds
        monkeypatch.setattr(time, "time", lambda: now)
        later_day = db.tz_now() + datetime.timedelta(seconds=seconds)
        monkeypatch.setattr(db, "tz_now", lambda: later_day)

    return move

"""No loops in the reporting lines, ever: two simultaneous manager changes that would
close a loop between them cannot both succeed (PostgreSQL, real threads)."""

import time

import pytest
from django.core.exceptions import ValidationError

from assessments import selectors, services
from assessments.models import Employee

from ..conftest import place
from ..threads import at_once, needs_postgresql

pytestmark = needs_postgresql


@pytest.fixture
def slow_check(monkeypatch):
    """Widen the window between the loop check and the write, as a busy server would."""
    real_check = services.check_manager

    def check_then_pause(employee, manager):
        real_check(employee, manager)
        time.sleep(0.5)

    monkeypatch.setattr(services, "check_manager", check_then_pause)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_changes_cannot_close_a_loop(default_ladder, slow_check):
    omar = place(default_ladder, "omar", "Omar Olsen", "senior-pm")
    grace = place(default_ladder, "grace", "Grace Gill", "senior-pm")

    results = at_once(
        lambda: services.set_manager(employee=omar, manager=grace),
        lambda: services.set_manager(employee=grace, manager=omar),
    )

    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results  # one waited for the other, then saw the loop
    assert "would make a loop" in refused[0].messages[0]
    omar.refresh_from_db()
    grace.refresh_from_db()
    assert (omar.manager_id == grace.pk) != (grace.manager_id == omar.pk)
    for person in (omar, grace):
        assert person not in selectors.manager_chain(person)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_changes_that_make_no_loop_both_land(default_ladder, slow_check):
    boss = place(default_ladder, "bea", "Bea Boss", "director", "management")
    ann = place(default_ladder, "ann", "Ann Ames", "pm")
    bob = place(default_ladder, "bob", "Bob Berg", "pm")

    results = at_once(
        lambda: services.set_manager(employee=ann, manager=boss),
        lambda: services.set_manager(employee=bob, manager=boss),
    )

    assert results == [None, None]
    assert set(Employee.objects.filter(manager=boss)) == {ann, bob}

"""Fixtures of the people-file tests in the admin (the preview in the request and by a
background task)."""

import pytest

from assessments import peoplefile

from ..factories import make_hr_user
from .test_import_people import csv_of, small_team


@pytest.fixture
def hr(client, default_ladder):
    """The test client signed in as someone in HR (`client.user`)."""
    user = make_hr_user(first_name="Hana", last_name="Reyes")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def team(default_ladder):
    """A small team imported from a people file; its rows."""
    peoplefile.import_people(content=csv_of(small_team()))
    return small_team()

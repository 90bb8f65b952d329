"""Shared fixtures: signed-in personas and ladders."""

import pytest

from levels import services

from .factories import UserFactory


@pytest.fixture
def user(db):
    """A signed-in-able user with no special rights."""
    return UserFactory(username="pat")


@pytest.fixture
def client_signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def default_ladder(db):
    """The Product Management ladder shipped with the app."""
    return services.load_default_ladder().ladder

"""Fixtures of the API tests: a token for each persona of the organisation
(tests/conftest.py), and a client that sends one."""

import json

import pytest
from django.test import Client

from api import services


class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` (or nothing) and JSON."""

    def __init__(self, token=None):
        self.client = Client()
        self.token = token

    def _headers(self, headers):
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def get(self, url, data=None, **headers):
        return self.client.get(url, data, headers=self._headers(headers))

    def _send(self, method, url, body, content_type, headers):
        if content_type == "application/json" and not isinstance(body, (str, bytes)):
            body = json.dumps(body, default=str)
        return getattr(self.client, method)(
            url, body, content_type=content_type, headers=self._headers(headers)
        )

    def post(self, url, body=None, content_type="application/json", **headers):
        return self._send("post", url, body if body is not None else {}, content_type, headers)

    def put(self, url, body=None, content_type="application/json", **headers):
        return self._send("put", url, body if body is not None else {}, content_type, headers)


def token_for(user, **kwargs):
    """The text of a new token of `user`."""
    return services.create_token(user=user, name=kwargs.pop("name", "test"), **kwargs)[1]


@pytest.fixture
def api():
    """`api(user)`: a client with a new token of `user`; `api(None)`: with no token."""

    def make(user):
        return ApiClient(token_for(user) if user is not None else None)

    return make


def assert_error(response, status, code=None):
    """`response` is an error of `status` in the API's one shape."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error

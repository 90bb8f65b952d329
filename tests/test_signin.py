"""Sign-in and password-reset hardening: input limits, client addresses behind a proxy,
per-address sign-in limits, pauses that failures do not extend, password-reset limits."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from pmladder import throttle
from pmladder.signin import username_for_attempts
from pmladder.throttle import client_address

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def sign_in(client, username, password, address=None):
    extra = {"HTTP_X_FORWARDED_FOR": address} if address else {}
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


# Input limits (the admin autocomplete's NUL byte failed on PostgreSQL, long usernames
# overflowed the failed sign-in table).


def test_a_username_longer_than_any_account_is_a_form_error(client):
    response = sign_in(client, "a" * 300, "wrong")

    assert response.status_code == 200
    assert b"at most 254 characters" in response.content
    assert not AccessAttempt.objects.exists()


def test_a_long_email_address_still_signs_in(client):
    email = "a" * 180 + "@example.com"  # longer than a username may be
    UserFactory(username="longmail", email=email)

    response = sign_in(client, email, PASSWORD)

    assert response.status_code == 302


def test_the_admin_sign_in_refuses_an_over_long_username(client):
    response = client.post("/admin/login/", {"username": "a" * 300, "password": "wrong"})

    assert response.status_code == 200
    assert b"at most 150 characters" in response.content
    assert not AccessAttempt.objects.exists()


def test_failed_sign_in_counts_never_store_more_than_their_column_holds(db):
    request = RequestFactory().post("/elsewhere/")

    assert authenticate(request, username="b" * 300, password="wrong") is None

    attempt = AccessAttempt.objects.get()
    assert attempt.username == "b" * 255


def test_failed_sign_in_counts_store_no_nul_character():
    request = RequestFactory().post("/elsewhere/", {"username": "pa\x00t"})

    assert username_for_attempts(request) == "pat"


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_a_nul_character_in_a_username_is_a_form_error(client, url):
    response = client.post(url, {"username": "pa\x00t", "password": "wrong"})

    assert response.status_code == 200
    assert b"Null characters are not allowed." in response.content


def test_admin_search_with_a_nul_character_is_refused_cleanly(org, as_user):
    client = as_user(org.hr)

    autocomplete = client.get(
        "/admin/autocomplete/",
        {"term": "\x00", "app_label": "assessments", "model_name": "employee"}
        | {"field_name": "manager"},
    )
    changelist = client.get("/admin/assessments/employee/", {"q": "\x00"})

    assert autocomplete.status_code == 400
    assert changelist.status_code == 400
    assert b"NUL character" in changelist.content


def test_admin_search_still_works(org, as_user):
    response = as_user(org.hr).get("/admin/assessments/employee/", {"q": "Remi"})

    assert response.status_code == 200
    assert b"Remi Report" in response.content


# The client's address behind a proxy that ends TLS.


def forwarded(header, remote="10.0.0.2"):
    meta = {"REMOTE_ADDR": remote}
    if header is not None:
        meta["HTTP_X_FORWARDED_FOR"] = header
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "header", "address"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left entry is the client's word
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),  # came in through the inner proxy only
        (1, "2001:db8::7", "2001:db8::7"),
        (1, "not an address", "10.0.0.2"),
        (1, None, "10.0.0.2"),
    ],
)
def test_behind_a_proxy_the_address_is_the_one_the_proxy_added(settings, proxies, header, address):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_address(forwarded(header)) == address


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    settings.BEHIND_TLS_PROXY = False

    assert client_address(forwarded("203.0.113.9")) == "10.0.0.2"


def test_behind_a_proxy_nobody_can_lock_someone_else_out(client, settings):
    settings.BEHIND_TLS_PROXY = True
    UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "victim", "guess", address="203.0.113.9")
    assert sign_in(client, "victim", PASSWORD, address="203.0.113.9").status_code == 429

    response = sign_in(client, "victim", PASSWORD, address="198.51.100.7")

    assert response.status_code == 302


def test_spoofing_the_header_does_not_escape_the_limit(client, settings):
    settings.BEHIND_TLS_PROXY = True
    UserFactory(username="target")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "target", "guess", address=f"192.0.2.{n}, 203.0.113.9")

    response = sign_in(client, "target", PASSWORD, address="192.0.2.99, 203.0.113.9")

    assert response.status_code == 429


# The per-address limit, over all usernames.


def test_many_usernames_failing_from_one_address_pause_that_address(client, settings):
    settings.BEHIND_TLS_PROXY = True
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    UserFactory(username="real")
    for n in range(8):  # one or two guesses per username, never enough to lock one
        sign_in(client, f"sprayed{n % 4}", "Summer2026!", address="203.0.113.9")

    sprayer = sign_in(client, "real", PASSWORD, address="203.0.113.9")
    elsewhere = sign_in(client, "real", PASSWORD, address="198.51.100.7")

    assert sprayer.status_code == 429
    assert elsewhere.status_code == 302


def test_a_few_typos_from_a_shared_office_address_pause_nobody(client, settings):
    for name in ["ann", "bob", "cat", "dan"]:
        UserFactory(username=name)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            sign_in(client, name, "typo")
    UserFactory(username="eve")

    assert sign_in(client, "eve", PASSWORD).status_code == 302


def test_failures_during_a_pause_do_not_extend_it(client, settings):
    UserFactory(username="locked")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "locked", "guess")
    before = AccessAttempt.objects.get(username="locked")

    assert sign_in(client, "locked", "guess-again").status_code == 429

    after = AccessAttempt.objects.get(username="locked")
    assert after.attempt_time == before.attempt_time
    assert after.failures_since_start == before.failures_since_start


def test_the_pause_ends_after_the_cool_off(client, settings):
    UserFactory(username="patient")
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        sign_in(client, "patient", "guess")
    attempt = AccessAttempt.objects.get(username="patient")
    attempt.attempt_time -= settings.AXES_COOLOFF_TIME
    attempt.save()

    assert sign_in(client, "patient", PASSWORD).status_code == 302


# Password-reset requests.


def ask_for_link(client, email, address="203.0.113.9"):
    return client.post(reverse("password_reset"), {"email": email}, HTTP_X_FORWARDED_FOR=address)


@pytest.mark.parametrize("email", ["known@example.com", "nobody@example.com"])
def test_password_links_per_email_are_limited_the_same_whether_it_exists(
    client, settings, mailoutbox, email
):
    settings.BEHIND_TLS_PROXY = True
    UserFactory(username="known", email="known@example.com")
    for n in range(settings.PASSWORD_RESET_LIMIT_PER_EMAIL):
        assert ask_for_link(client, email, address=f"198.51.100.{n}").status_code == 302
    sent = len(mailoutbox)

    response = ask_for_link(client, email.upper(), address="198.51.100.99")

    assert response.status_code == 429
    assert b"Too many password links for now" in response.content
    assert b"try again in 60 minutes" in response.content
    assert len(mailoutbox) == sent


def test_password_links_per_address_are_limited(client, settings, mailoutbox):
    settings.BEHIND_TLS_PROXY = True
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    UserFactory(username="known", email="known@example.com")
    ask_for_link(client, "one@example.com")
    ask_for_link(client, "two@example.com")

    limited = ask_for_link(client, "known@example.com")
    elsewhere = ask_for_link(client, "known@example.com", address="198.51.100.7")

    assert limited.status_code == 429
    assert elsewhere.status_code == 302
    assert len(mailoutbox) == 1


def test_password_reset_counts_are_shared_through_the_database(client):
    """Every app server reads the same counts: they are rows in the database."""
    ask_for_link(client, "someone@example.com")

    assert isinstance(caches["throttle"], DatabaseCache)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pmladder_throttle")
        assert cursor.fetchone()[0] == 2  # one for the address, one for the email


def test_a_limit_counts_each_key_separately(db):
    assert throttle.allow("test", "a", limit=2, period=60)
    assert throttle.allow("test", "a", limit=2, period=60)
    assert not throttle.allow("test", "a", limit=2, period=60)
    assert throttle.allow("test", "b", limit=2, period=60)
    assert throttle.allow("other", "a", limit=2, period=60)

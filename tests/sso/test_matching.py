"""Matching an identity to its account (sso.services.user_for_identity), for each kind of
account, without a provider: the claims are what a checked ID token carries."""

import pytest

from sso.services import SignInRefused, is_verified, user_for_identity

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def claims(email, verified=True):
    return {"sub": "1", "email": email, "email_verified": verified}


@pytest.mark.parametrize("role", ["report", "manager", "other_manager", "boss"])
def test_each_person_is_matched_to_their_own_sign_in(org, role):
    person = getattr(org, role)

    assert user_for_identity(claims=claims(person.email.upper())) == person.user


def test_person_is_found_by_their_record_not_their_sign_ins_email(org):
    org.report.user.email = "old@example.com"
    org.report.user.save()

    assert user_for_identity(claims=claims("report@example.com")) == org.report.user
    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims=claims("old@example.com"))
    assert refusal.value.reason == "unknown"


def test_hr_and_outsider_accounts_are_matched_by_email(org):
    org.hr.email = "hana@example.com"
    org.hr.save()

    assert user_for_identity(claims=claims("Hana@Example.com")) == org.hr


def test_an_account_named_by_the_email_is_matched(db):
    user = UserFactory(username="sam@example.com", email="")

    assert user_for_identity(claims=claims("SAM@example.com")) == user


def test_a_persons_sign_in_is_not_taken_by_an_email_match(org):
    """The report's sign-in has the report's email: found through the person record, and
    never as a loose account (which would bypass the person's active flag)."""
    org.report.is_active = False
    org.report.save()

    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims=claims("report@example.com"))
    assert refusal.value.reason == "inactive"


def test_two_accounts_with_one_email_are_refused(db):
    UserFactory(username="a", email="same@example.com")
    UserFactory(username="b", email="same@example.com")

    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims=claims("same@example.com"))
    assert refusal.value.reason == "ambiguous"


def test_switched_off_account_is_refused(db):
    UserFactory(username="gone", email="gone@example.com", is_active=False)

    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims=claims("gone@example.com"))
    assert refusal.value.reason == "inactive"


@pytest.mark.parametrize("verified", [False, "false", None, "no"])
def test_unverified_emails_are_refused(org, verified):
    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims=claims("report@example.com", verified))
    assert refusal.value.reason == "unverified"


def test_a_trusted_provider_needs_no_email_verified_claim(org):
    identity = {"sub": "1", "email": "report@example.com"}

    assert user_for_identity(claims=identity, trust_email=True) == org.report.user
    assert is_verified({"email_verified": False}, trust_email=True) is False
    assert is_verified({"email_verified": "true"}) is True


@pytest.mark.parametrize("email", ["", None, "   "])
def test_an_identity_without_email_is_refused(email):
    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims={"sub": "1", "email": email, "email_verified": True})
    assert refusal.value.reason == "no_email"


def unlink(person):
    user = person.user
    person.user = None
    person.save(update_fields=["user"])
    return user


def test_create_sign_in_links_an_existing_unlinked_account_named_after_the_email(org):
    old = unlink(org.report)
    old.username = "report@example.com"
    old.save()

    user = user_for_identity(claims=claims("report@example.com"), create_sign_in=True)

    org.report.refresh_from_db()
    assert user == old == org.report.user


def test_create_sign_in_never_takes_someone_elses_sign_in(org):
    unlink(org.report)
    org.teammate.user.username = "report@example.com"  # a typing slip in the past
    org.teammate.user.save()

    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims=claims("report@example.com"), create_sign_in=True)

    assert refusal.value.reason == "cannot_link"
    org.report.refresh_from_db()
    assert org.report.user is None


def test_create_sign_in_does_not_revive_a_person_who_left(org):
    unlink(org.report)
    org.report.is_active = False
    org.report.save()

    with pytest.raises(SignInRefused) as refusal:
        user_for_identity(claims=claims("report@example.com"), create_sign_in=True)
    assert refusal.value.reason == "inactive"

"""
Matching a signed-in identity to its account, by verified email.

An identity is accepted only when its provider vouches for the email (`email_verified`
true, or the provider is trusted to hand out only emails it verified). The email, in any
case, is looked up first among the people (Employee.email), whose linked sign-in is then
used, and otherwise among the accounts that belong to nobody on the ladder (HR, admins), by
email or username. A person who has left, or a switched-off account, is refused. A person
without a sign-in gets one only with `create_sign_in` (SSO_CREATE_SIGN_IN), made as the
people import makes them (username: their email, no usable password).
"""

import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from assessments import services as people
from assessments.models import Employee

logger = logging.getLogger("pmladder.access")


class SignInRefused(Exception):
    """Why an identity may not sign in; `reason` is one of the REASONS keys."""

    def __init__(self, reason, email=""):
        super().__init__(reason)
        self.reason = reason
        self.email = email


# What the refusal page says for each reason.
REASONS = {
    "no_email": "Your organisation's sign-in did not tell us your email address.",
    "unverified": (
        "Your organisation's sign-in says your email address is not verified, so it cannot "
        "be matched to anyone here."
    ),
    "unknown": "Nobody with this email address is set up in PM Ladder.",
    "ambiguous": "More than one account here has this email address.",
    "inactive": "Your PM Ladder account is switched off (for example, after leaving).",
    "no_sign_in": "You are in PM Ladder, but your record has no sign-in yet.",
    "cannot_link": "Your record here cannot be given a sign-in automatically.",
}


def is_verified(claims, *, trust_email=False):
    """Whether the provider vouches for the email in `claims` (some send "true")."""
    verified = claims.get("email_verified")
    if verified is None:
        return trust_email
    return verified is True or str(verified).lower() == "true"


def user_for_identity(*, claims, trust_email=False, create_sign_in=False):
    """The active account the identity in `claims` (ID token and userinfo claims) signs in
    as; raises SignInRefused saying why not."""
    email = str(claims.get("email") or "").strip()
    if not email:
        raise SignInRefused("no_email")
    if not is_verified(claims, trust_email=trust_email):
        raise SignInRefused("unverified", email)
    person = Employee.objects.filter(email__iexact=email).select_related("user").first()
    if person is not None:
        user = person.user
        if not person.is_active or (user is not None and not user.is_active):
            raise SignInRefused("inactive", email)
        if user is None:
            if not create_sign_in:
                raise SignInRefused("no_sign_in", email)
            user = _give_sign_in(person)
        return user
    User = get_user_model()
    accounts = list(
        User._default_manager.filter(employee__isnull=True).filter(
            Q(email__iexact=email) | Q(**{f"{User.USERNAME_FIELD}__iexact": email})
        )[:2]
    )
    if not accounts:
        raise SignInRefused("unknown", email)
    if len(accounts) > 1:
        raise SignInRefused("ambiguous", email)
    if not accounts[0].is_active:
        raise SignInRefused("inactive", email)
    return accounts[0]


def _give_sign_in(person):
    """Link `person` to the account named after their email, made here if there is none."""
    User = get_user_model()
    username = person.email
    if len(username) > User._meta.get_field(User.USERNAME_FIELD).max_length:
        raise SignInRefused("cannot_link", person.email)
    with transaction.atomic():
        person = Employee.objects.select_for_update().get(pk=person.pk)
        if person.user is not None:  # linked meanwhile, by another sign-in or HR
            return person.user
        if User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
            try:  # the import's rules: nobody else's, and no staff or superuser account
                user = people.account_to_link(username)
            except ValidationError:
                raise SignInRefused("cannot_link", person.email) from None
        else:
            user = people.new_sign_in(full_name=person.full_name, email=username)
            user.save()
        person.user = user
        person.save(update_fields=["user"])
    logger.warning("Single sign-on linked person %s to the sign-in %r", person.pk, username)
    return user

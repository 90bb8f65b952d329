"""
Who may use a password: everyone while `PASSWORD_SIGN_IN` is on; once it is off (the
organisation signs in with its provider), only the break-glass accounts named in
`SSO_BREAK_GLASS_USERS`, kept for when the provider is down. The sign-in form, the admin's
sign-in (through `sso.backends`), password reset and password change all ask here.
"""

from django.conf import settings

REFUSED = (
    "Password sign-in is turned off here: sign in with your organisation's account "
    "instead, using the button on the sign-in page."
)
# What the sign-in page says to any password refused while password sign-in is off, a
# break-glass account's wrong password included: one answer for every username, so the
# page never tells which names are break-glass accounts.
REFUSED_ANY = (
    f"{REFUSED} Administrator accounts kept for emergencies: check the username and "
    "password (both may be case-sensitive)."
)


def password_sign_in_on():
    return settings.PASSWORD_SIGN_IN


def password_allowed_for(username):
    """Whether the account named `username` (exactly, as stored) may sign in with, reset or
    change a password."""
    return settings.PASSWORD_SIGN_IN or (username or "") in settings.SSO_BREAK_GLASS_USERS


def providers():
    """[(name, label)] of the configured providers, in the order the sign-in page shows."""
    return [(name, provider["label"]) for name, provider in settings.SSO_PROVIDERS.items()]

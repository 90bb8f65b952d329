"""The password rule of `sso.rules` for every password sign-in, the admin's too."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from .rules import password_allowed_for


class PasswordSignInGuard:
    """An authentication backend placed before Django's ModelBackend: while password
    sign-in is off it stops the sign-in of every account but the break-glass ones: a
    failed sign-in (Django then tells django-axes, which counts it), after hashing the
    password once, as checking one would, so a refusal takes as long as a wrong password.
    It never signs anyone in itself, and has no `get_user`: the test client's
    `force_login` and Django's session code take the first backend that has one."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is not None and not password_allowed_for(username):
            get_user_model()().set_password(password)  # the time a check takes
            raise PermissionDenied
        return None

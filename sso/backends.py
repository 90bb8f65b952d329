"""The password rule of `sso.rules` for every password sign-in, the admin's too."""

from django.core.exceptions import PermissionDenied

from .rules import password_allowed_for


class PasswordSignInGuard:
    """An authentication backend placed before Django's ModelBackend: while password
    sign-in is off it stops the sign-in of every account but the break-glass ones, before
    any password is checked. It never signs anyone in itself, and has no `get_user`: the
    test client's `force_login` and Django's session code take the first backend that
    has one."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is not None and not password_allowed_for(username):
            raise PermissionDenied
        return None

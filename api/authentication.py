"""
Who is calling the API: a personal access token sent as `Authorization: Bearer <token>`
(see `api.models`), or the app's own sign-in (a session, with Django's CSRF check on
writes), so that the documentation page works for someone signed in.

A token that is unknown, revoked or expired, or whose owner's sign-in is switched off, is
refused with 401, whatever else the request carries.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import services

KEYWORD = "Bearer"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` with a personal access token."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>', with no spaces in it."
            )
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        found = services.user_for_token(text)
        if found is None:
            raise exceptions.AuthenticationFailed(
                "That token is not valid: it is unknown, revoked or expired, or its owner "
                "can no longer sign in."
            )
        return found

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The app's own sign-in; writes need the CSRF token, as forms do."""


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes the token."""

    target_class = "api.authentication.BearerTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token, made on the Access tokens page "
            "(/account/tokens/).",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The app's sign-in, for the documentation page; writes also "
            "need the X-CSRFToken header.",
        }

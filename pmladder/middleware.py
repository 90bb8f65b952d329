"""
Rules every response follows, whatever view produced it.

- Every refusal is logged, here and only here: each 403, 404 and 429 response (and any
  other answer a view marks with `note_refusal`, such as the admin sending someone who
  is not HR to its sign-in) becomes one WARNING line on
  `pmladder.access` with who (the user id), what (method, path, the view and the object
  its address names) and why (the refusal's message, when there is one).
- Pages for a signed-in person carry personal data: unless the view chose its own caching,
  they go out with `Cache-Control: private, no-store`, so neither a shared cache nor the
  browser keeps a copy. Static files are answered by WhiteNoise before anyone is signed
  in and keep their long caching.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404

logger = logging.getLogger("pmladder.access")

REFUSALS = frozenset({403, 404, 429})
PRIVATE = "private, no-store"


def note_refusal(request, reason):
    """Say why `request` is being refused, for the log line the response will get."""
    request.refusal_reason = reason


def _printable(value):
    """`value` on one line, with control characters escaped (it may be typed by anyone)."""
    return str(value).encode("unicode_escape").decode("ascii")


def _signed_in_user(request):
    """The signed-in user, or None; never fails, even with the database gone."""
    user = getattr(request, "user", None)
    try:
        return user if user is not None and user.is_authenticated else None
    except DatabaseError:
        return None


def _view(request):
    """The view that answered and the object its address names, e.g.
    `[assessments:person pk=12]`."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    arguments = "".join(f" {name}={_printable(value)}" for name, value in match.kwargs.items())
    return f" [{match.view_name}{arguments}]"


class RefusalLogMiddleware:
    """Logs every refusal with who, what and why (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        reason = getattr(request, "refusal_reason", None)
        status = response.status_code
        if status in REFUSALS or reason:
            user = _signed_in_user(request)
            logger.warning(
                "Refused user %s: %s %s %s%s: %s",
                user.pk if user is not None else "anonymous",
                status,
                request.method,
                _printable(request.path),
                _view(request),
                _printable(reason or response.reason_phrase),
            )
        return response

    def process_exception(self, request, exception):
        """Keep the message of a view's refusal for the log line."""
        if isinstance(exception, (PermissionDenied, Http404)) and str(exception):
            note_refusal(request, str(exception))


class PrivatePagesMiddleware:
    """`Cache-Control: private, no-store` on responses to a signed-in person, unless the
    view set its own Cache-Control."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response and _signed_in_user(request) is not None:
            response["Cache-Control"] = PRIVATE
        return response

"""
How often the API may be called: `API_RATE` requests (e.g. "1000/hour") per token, or
per signed-in user for calls made with the app's sign-in. Counted in the shared throttle
cache (`CACHES["throttle"]`), so every app server counts together. Too many calls are
answered with 429 and a Retry-After header.
"""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from pmladder.throttle import THROTTLE_CACHE, client_address


class TokenRateThrottle(SimpleRateThrottle):
    """`settings.API_RATE` requests per token (per user for the app's sign-in)."""

    scope = "api"

    def __init__(self):
        self.cache = caches[THROTTLE_CACHE]
        super().__init__()

    def get_rate(self):
        return settings.API_RATE  # read on each request: tests and settings may change it

    def get_cache_key(self, request, view):
        token = request.auth
        if token is not None and hasattr(token, "pk"):
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{client_address(request)}"
        return f"throttle:api:{ident}"

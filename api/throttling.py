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

    def wait(self):
        """Seconds until the next request may be made, for Retry-After. DRF's own answer
        is None (and no Retry-After is sent) when more requests are on record than the
        rate now allows, as after API_RATE was lowered: then the caller waits until the
        oldest of the requests that must expire first has left the window."""
        seconds = super().wait()
        if seconds is not None:
            return seconds
        excess = len(self.history) - self.num_requests  # requests to expire before a slot frees
        expires = self.history[-1 - excess] if 0 <= excess < len(self.history) else self.now
        return max(1, self.duration - (self.now - expires))

"""
Who is asking, and how often they may ask.

`client_address(request)` is the address of the person at the other end. Behind a proxy
that ends TLS (`BEHIND_TLS_PROXY`), every request comes from the proxy, so the address is
read from `X-Forwarded-For` instead: each proxy appends the address it was called from,
so of the `TRUSTED_PROXY_COUNT` right-most entries (added by our own proxies) the
left-most is the client's. Entries further left were written by the client and are never
trusted. Sign-in throttling, password-reset limits and the refusal log all use it.

`allow(scope, key, limit=..., period=...)` counts one request against `key` and says
whether it is within `limit` requests per `period` seconds. The counts live in the
database cache (`CACHES["throttle"]`), so every app server shares them; each request
takes a numbered slot with the cache's atomic `add`, so simultaneous requests cannot
both take the last one.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import caches

THROTTLE_CACHE = "throttle"


def _valid_address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request):
    """The client's IP address: from the proxy's `X-Forwarded-For` behind a TLS proxy,
    from the connection otherwise. Falls back to the connection's address when the
    header is missing or holds no address."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not settings.BEHIND_TLS_PROXY:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [item.strip() for item in header.split(",") if item.strip()]
    if not forwarded:
        return remote
    # With fewer entries than proxies, the client reached an inner proxy directly and
    # every entry was written by a proxy: the left-most is the client's.
    count = min(settings.TRUSTED_PROXY_COUNT, len(forwarded))
    return _valid_address(forwarded[-count]) or remote


def allow(scope, key, *, limit, period):
    """Count one request by `key` (an address, an email...) in `scope`; False when `limit`
    requests were already counted in this `period` (seconds, a fixed window)."""
    if limit <= 0:
        return True
    cache = caches[THROTTLE_CACHE]
    window = int(time.time() // period)
    digest = hashlib.sha256(str(key).encode()).hexdigest()
    slots = [f"throttle:{scope}:{digest}:{window}:{n}" for n in range(limit)]
    taken = cache.get_many(slots)
    # `add` fails when another request took the slot since: try the next one.
    return any(slot not in taken and cache.add(slot, 1, timeout=period) for slot in slots)

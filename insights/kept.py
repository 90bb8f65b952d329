"""
The organisation view's figures kept for a few minutes when the view is large.

Counting every figure of `/org/` over ten thousand people takes a few tenths of a second
of database time; they move slowly (a promotion, a week's evidence), and the people who
read them come back to them, filter, and come back again. So a view covering at least
`ORG_FIGURES_KEPT_FROM` people keeps its figures, drawn, for `ORG_FIGURES_KEPT_SECONDS`,
in the database cache (`CACHES["figures"]`) that every app server shares. The page says
when they were counted and offers to count them again at once (`forget`). Smaller views,
and a view whose readiness is still being counted again, are drawn at every visit.

What a view shows depends only on what is in its key: who it is below (or the whole
organisation), its filters, its dates and span threshold, the round under way that the
viewer may see, and the day. Two viewers with the same key see the same figures.
"""

import hashlib
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.safestring import mark_safe

# Part of every key: a release that draws the figures differently changes it, so a shared
# cache never serves one release's markup to another.
FORMAT = 1


@dataclass
class Drawn:
    """The figures' markup, and when they were counted if they are kept (None: counted
    for this visit alone)."""

    html: str
    counted_at: object = None


def _cache():
    return caches["figures"]


def _key(scope, round):
    filters = scope.filters
    parts = [
        FORMAT,
        scope.root.pk if scope.root else "all",
        *(getattr(filters.get(name), "pk", "") for name in ("ladder", "track", "level")),
        scope.start,
        scope.end,
        scope.span_limit,
        scope.today,
        round.pk if round else "",
    ]
    return "org-figures:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def figures(scope, round, draw):
    """The figures of `scope` as `Drawn`: kept ones when there are, else `draw()`'s, which
    gives (markup, how many people the view covers, whether readiness is behind); those
    are kept when the view is large and its readiness up to date."""
    key = _key(scope, round)
    found = _cache().get(key)
    if found is not None:
        packed, counted_at = found
        # Markup this app drew (render_to_string), read back from its own table.
        return Drawn(mark_safe(zlib.decompress(packed).decode()), counted_at)
    html, people, behind = draw()
    if people < settings.ORG_FIGURES_KEPT_FROM or behind:
        return Drawn(html)
    counted_at = timezone.now()
    packed = zlib.compress(html.encode(), 6)
    _cache().set(key, (packed, counted_at), settings.ORG_FIGURES_KEPT_SECONDS)
    return Drawn(html, counted_at)


def forget(scope, round):
    """Drop the kept figures of `scope`, so the next visit counts them again."""
    _cache().delete(_key(scope, round))


def forget_everything():
    """Drop every view's kept figures: after erasing someone, whose name they may hold."""
    _cache().clear()

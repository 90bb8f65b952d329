"""
The organisation view's figures kept for a few minutes when the view is large.

Counting every figure of `/org/` over ten thousand people takes a few tenths of a second
of database time; they move slowly (a promotion, a week's evidence), and the people who
read them come back to them, filter, and come back again. So a view covering at least
`ORG_FIGURES_KEPT_FROM` people keeps its figures, drawn, for `ORG_FIGURES_KEPT_SECONDS`,
where every app server reads them (`pmladder.kept`). The page says when they were counted
and offers to count them again at once (`forget`); someone who has changed anything
since they were counted gets them counted again. Smaller views, and a view whose
readiness is still being counted again, are drawn at every visit.

What a view shows depends only on what is in its key: who it is below (or the whole
organisation), its filters, its dates and span threshold, the round under way that the
viewer may see, and the day. Two viewers with the same key see the same figures.
"""

import datetime
import hashlib
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.safestring import mark_safe

from pmladder import kept

# Part of every key: a release that draws the figures differently changes it, so a shared
# cache never serves one release's markup to another.
FORMAT = 1


@dataclass
class Drawn:
    """The figures' markup, and when they were counted if they are kept (None: counted
    for this visit alone)."""

    html: str
    counted_at: object = None


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
    """The figures of `scope` as `Drawn`: kept ones when there are (and the viewer has
    changed nothing since), else `draw()`'s, which gives (markup, how many people the view
    covers, whether readiness is behind); those are kept when the view is large and its
    readiness up to date."""
    key = _key(scope, round)
    packed, at = kept.read(key, scope.user)
    if packed is not None:
        # Markup this app drew (render_to_string), read back from its own table.
        return Drawn(mark_safe(zlib.decompress(packed).decode()), _moment(at))
    html, people, behind = draw()
    if people < settings.ORG_FIGURES_KEPT_FROM or behind:
        return Drawn(html)
    at = kept.keep(key, zlib.compress(html.encode(), 6), settings.ORG_FIGURES_KEPT_SECONDS)
    return Drawn(html, _moment(at))


def _moment(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


def forget(scope, round):
    """Drop the kept figures of `scope`, so the next visit counts them again."""
    kept.forget(_key(scope, round))

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

Once that time is up, the figures are still shown for `ORG_FIGURES_STALE_SECONDS` more,
saying when they were counted, while a background task (`recount`) counts them again for
the next visit: so nobody waits for a large view's count but its first visitor of the
day, someone who has just changed something, and whoever asks to count them again now.

What a view shows depends only on what is in its key: who it is below (or the whole
organisation), its filters, its dates and span threshold, the round under way that the
viewer may see, and the day. Two viewers with the same key see the same figures.
"""

import datetime
import hashlib
import logging
import time
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.tasks import task
from django.utils.safestring import mark_safe

from assessments import access
from pmladder import kept

from . import drawing
from .figures import open_round
from .filters import read_scope

logger = logging.getLogger(__name__)

# Part of every key: a release that draws the figures differently changes it, so a shared
# cache never serves one release's markup to another.
FORMAT = 1


@dataclass
class Drawn:
    """The figures' markup, and when they were counted if they are kept (None: counted
    for this visit alone)."""

    html: str
    counted_at: object = None
    recounting: bool = False  # older than ORG_FIGURES_KEPT_SECONDS, counted again meanwhile


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
    readiness up to date. Kept figures older than `ORG_FIGURES_KEPT_SECONDS` are still
    shown, and a task counts them again (`recount`)."""
    key = _key(scope, round)
    packed, at = kept.read(key, scope.user)
    age = time.time() - at if packed is not None else None
    if packed is not None and age < settings.ORG_FIGURES_KEPT_SECONDS + _stale_seconds():
        # Markup this app drew (render_to_string), read back from its own table.
        drawn = Drawn(mark_safe(zlib.decompress(packed).decode()), _moment(at))
        if age >= settings.ORG_FIGURES_KEPT_SECONDS:
            drawn.recounting = _recount_later(key, scope)
        return drawn
    html, people, behind = draw()
    if people < settings.ORG_FIGURES_KEPT_FROM or behind:
        return Drawn(html)
    return Drawn(html, _moment(_keep(key, html)))


def _stale_seconds():
    return max(settings.ORG_FIGURES_STALE_SECONDS, 0)


def _keep(key, html):
    """Keep the markup `html` under `key`, for as long as it may be shown; return when."""
    seconds = settings.ORG_FIGURES_KEPT_SECONDS + _stale_seconds()
    return kept.keep(key, zlib.compress(html.encode(), 6), seconds)


# A count queued is not queued again for this long (by then a worker that took it and died
# on it has let it go: the next visit queues it again).
RECOUNT_QUEUED_SECONDS = 10 * 60


def _queued_key(key):
    return f"recounting:{key}"


def _recount_later(key, scope):
    """Queue `recount` of `scope` unless it is queued already; True once it is."""
    queued = _queued_key(key)
    if not kept.cache().add(queued, True, RECOUNT_QUEUED_SECONDS):
        return True
    try:
        recount.enqueue(scope.user.pk, scope.query, key)
    except Exception:
        kept.cache().delete(queued)
        logger.exception("The figures of a view could not be queued to be counted again.")
        return False
    return True


@task()
def recount(user_id, query, key):
    """Count again, and keep, the figures of the view that `query` (`Scope.query`) gives
    the person signed in as `user_id`, as the page would: nothing when they may no longer
    see the organisation view, or when the view is no longer large or its readiness is
    behind (a visit counts it then)."""
    try:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None or not access.is_manager(user):
            return
        _, scope = read_scope(QueryDict(query), user)
        round = open_round(scope)
        html, people, behind = drawing.figures_of(scope, round)
        if people >= settings.ORG_FIGURES_KEPT_FROM and not behind:
            _keep(_key(scope, round), html)
    finally:
        kept.cache().delete(_queued_key(key))


def _moment(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


def forget(scope, round):
    """Drop the kept figures of `scope`, so the next visit counts them again."""
    kept.forget(_key(scope, round))

"""
Readiness figures kept per person, for the pages that read everyone's at once.

`readiness.with_readiness` counts a person's figures from their evidence and reviews: the
one definition. Over a whole organisation that reads every piece of evidence on every
visit (seconds at 10,000 people), so the organisation view and the team table read the
figures kept in `KeptReadiness` instead, through `with_kept_readiness`, which brings the
people's rows up to date first and then joins them: the same annotations, the same
figures.

A kept row is up to date while nothing it was counted from has moved:
- the person's evidence and shared reviews: the services that change them call
  `changed(person)`, which moves the person's `readiness_generation` on, in the same
  transaction as the change;
- the person's level and track, kept on the row and compared;
- their ladder's structure (its expectations, levels and tracks), by its version stamp.
The badge is worked out on reading, from the ladder's rule as it is then.

A row counted from a transaction that has not committed yet cannot outlive it wrongly: a
row holds for the generation it was counted with, read in the same query as the figures,
so a change committed meanwhile leaves it out of date.

Rows out of date are counted again before they are read, in the request when they are
few (`RECOUNT_IN_REQUEST`), by a background task when many are (after a change to a
ladder's structure, say); until that task is done, pages read the rows as they were and
say so (`Behind`).
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone

from . import readiness
from .models import Employee, KeptReadiness

logger = logging.getLogger(__name__)

# Out-of-date rows counted again inside a request; more go to a background task.
RECOUNT_IN_REQUEST = 2_000
RECOUNT_BATCH = 2_000
QUEUED_KEY = "kept-readiness-recount-queued"
QUEUED_SECONDS = 15 * 60

FIGURES = (
    "current_total",
    "current_shown",
    "next_level_id",
    "next_total",
    "next_shown",
    "next_first",
    "next_last",
)


@dataclass(frozen=True)
class Behind:
    """How many people in view have figures out of date, being counted again by a task."""

    people: int

    def __bool__(self):
        return self.people > 0


def changed(*employees):
    """Say that what `employees` (people or their ids) are measured from has changed:
    their kept figures are counted again before they are next read. One query; call it
    inside the transaction of the change."""
    ids = [getattr(employee, "pk", employee) for employee in employees]
    Employee.objects.filter(pk__in=ids).update(readiness_generation=F("readiness_generation") + 1)


def _up_to_date():
    """A condition on people: their kept row holds for them as they are now."""
    return Exists(
        KeptReadiness.objects.filter(
            employee=OuterRef("pk"),
            generation=OuterRef("readiness_generation"),
            level=OuterRef("level"),
            track=OuterRef("track"),
            stamp=OuterRef("ladder__structure_version__stamp"),
        )
    )


def out_of_date(people):
    """The ids of `people` whose kept figures are missing or out of date (a queryset)."""
    return people.filter(~_up_to_date()).order_by().values("pk")


def recount(ids, *, ladders=None):
    """Count the figures of the people `ids` and keep them: one query to count them (by
    `readiness.with_readiness`) and one to write them, per batch of RECOUNT_BATCH."""
    ids = list(ids)
    now = timezone.now()
    for start in range(0, len(ids), RECOUNT_BATCH):
        batch = Employee.objects.filter(pk__in=ids[start : start + RECOUNT_BATCH]).order_by()
        counted = readiness.with_readiness(batch, ladders=ladders).values(
            "pk",
            "readiness_generation",
            "level_id",
            "track_id",
            "ladder__structure_version__stamp",
            *FIGURES,
        )
        rows = [
            KeptReadiness(
                employee_id=values["pk"],
                generation=values["readiness_generation"],
                level_id=values["level_id"],
                track_id=values["track_id"],
                stamp=values["ladder__structure_version__stamp"],
                counted_at=now,
                **{name: values[name] for name in FIGURES},
            )
            for values in counted
        ]
        _write(rows)


def _write(rows):
    """Insert or replace kept rows: one statement, in the people's order, so that two
    requests writing some of the same rows at once wait for each other, never deadlock."""
    fields = ["generation", "level", "track", "stamp", "counted_at"]
    fields += [name.removesuffix("_id") for name in FIGURES]
    rows = sorted(rows, key=lambda row: row.employee_id)
    try:
        with transaction.atomic():
            KeptReadiness.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["employee"], update_fields=fields
            )
    except IntegrityError:
        # A person deleted since they were counted: their row is not needed.
        logger.info("A person left while their readiness was counted; counted next time.")


def bring_up_to_date(people, *, ladders=None, limit=None):
    """Count again the figures of `people` that are out of date, when at most `limit`
    (default: RECOUNT_IN_REQUEST) are;
    otherwise queue a task to count them all (once: a task already queued is not queued
    again) and return `Behind`, which says how many are behind. One query when every
    row is up to date."""
    limit = RECOUNT_IN_REQUEST if limit is None else limit
    ids = list(out_of_date(people).values_list("pk", flat=True)[: limit + 1])
    if not ids:
        return Behind(0)
    if len(ids) <= limit:
        recount(ids, ladders=ladders)
        return Behind(0)
    if cache.add(QUEUED_KEY, True, QUEUED_SECONDS):  # expires if a worker dies on it
        try:
            recount_everyone.enqueue()
        except Exception:
            cache.delete(QUEUED_KEY)
            raise
    # How many are still behind: none where tasks run at once, as in the tests.
    return Behind(out_of_date(people).count())


@task()
def recount_everyone():
    """Count again every kept figure out of date, in batches (a background task)."""
    try:
        while ids := list(
            out_of_date(Employee.objects.all()).values_list("pk", flat=True)[:RECOUNT_BATCH]
        ):
            recount(ids)
    finally:
        cache.delete(QUEUED_KEY)


def with_kept_readiness(people):
    """`people` with the annotations of `readiness.with_readiness`, read from their kept
    rows (joined, not counted): `current_total`, `current_shown`, `current_percent`,
    `next_level_id`, `next_total`, `next_shown`, `next_percent`, `next_first`,
    `next_last`, `next_spans` and `next_badge`. Call `bring_up_to_date` first; a person
    with no row yet reads as having no next level."""
    row = "kept_readiness__"
    people = people.annotate(
        current_total=Coalesce(F(row + "current_total"), 0),
        current_shown=Coalesce(F(row + "current_shown"), 0),
        current_percent=readiness.whole_percent("current_shown", "current_total"),
        next_level_id=F(row + "next_level"),
        next_total=Coalesce(F(row + "next_total"), 0),
        next_shown=Coalesce(F(row + "next_shown"), 0),
        next_percent=readiness.whole_percent("next_shown", "next_total"),
        next_first=F(row + "next_first"),
        next_last=F(row + "next_last"),
    )
    return readiness.judged(
        people, coverage=F("ladder__ready_coverage"), span_months=F("ladder__ready_span_months")
    )


def readied(people, *, ladders=None):
    """(`people` with their kept readiness, `Behind`): the rows brought up to date first."""
    behind = bring_up_to_date(people, ladders=ladders)
    return with_kept_readiness(people), behind

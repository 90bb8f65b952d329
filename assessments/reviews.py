"""
Level reviews: a manager (anyone above the person) or HR rates a person against every
expectation of a target level, their current level or a next one on any of their tracks.

A review starts as a draft that only its author sees (and HR, in the admin: see `access`);
it is rated and saved as often
as needed (each save bumps `Review.version`, and a save made from a stale copy is refused),
then shared with the person, who can acknowledge it with a comment. A shared review never
changes again. The expectations are copied onto the review when it starts, so later edits
of the ladder never rewrite it.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format

from levels.history import made_by
from levels.models import Level
from levels.structure import ladder_structure

from . import access, kept, notifications
from .models import Employee, Evidence, Rating, Review, ReviewRating

MAX_COMMENT = ReviewRating._meta.get_field("comment").max_length
MAX_SUMMARY = Review._meta.get_field("summary").max_length
MAX_ACKNOWLEDGEMENT = Review._meta.get_field("acknowledgement").max_length

STALE_MESSAGE = (
    "This draft was saved again (perhaps in another tab) after you opened it, so your "
    "changes were not saved. They are below: save again to keep them, or reload the page "
    "to see the saved version."
)
SHARE_STALE_MESSAGE = (
    "This draft was saved again since you asked to share it, so nothing was shared: "
    "check it below, then share it again."
)


# Targets ------------------------------------------------------------------------------------


@dataclass
class Target:
    """A level someone can be reviewed against: their current level, or the next level on
    the `tracks` listed."""

    level: Level
    is_current: bool = False
    tracks: list = field(default_factory=list)
    expectation_count: int = 0


def review_targets(employee):
    """The levels `employee` can be reviewed against: their current level (if it is still
    in use), then each next level (`levels.selectors.next_steps`, from the ladder's cached
    structure) (a query)."""
    targets = {}
    if employee.level.is_active:
        targets[employee.level.pk] = Target(level=employee.level, is_current=True)
    structure = ladder_structure(employee.ladder)
    for step in structure.next_steps(employee.level, own_track_id=employee.track_id):
        targets.setdefault(step.level.pk, Target(level=step.level)).tracks.extend(step.tracks)
    counts = dict(
        Level.objects.filter(pk__in=targets)
        .annotate(
            n=Count(
                "expectations",
                filter=Q(expectations__is_active=True, expectations__category__is_active=True),
            )
        )
        .values_list("pk", "n")
    )
    for target in targets.values():
        target.expectation_count = counts.get(target.level.pk, 0)
    return list(targets.values())


# Writes -------------------------------------------------------------------------------------


def _check_reviewer(employee, by):
    if not access.can(by, access.MANAGE, employee):
        raise PermissionDenied("Only their managers and HR review someone, never themselves.")


def _check_author(review, by):
    if review.author_id != by.pk or not access.can(by, access.MANAGE, review.employee):
        raise PermissionDenied("Only its author writes a review, while they manage the person.")


def _locked(review):
    return Review.objects.select_for_update().select_related("employee").get(pk=review.pk)


@transaction.atomic
def start_review(*, employee, target_level, by):
    """Start a draft review of `employee` against `target_level`, with one rating to fill
    in for each of that level's expectations in use today, their text copied as it reads
    now. Refuses a level that is neither current nor next, and a second draft against the
    same level."""
    employee = (
        Employee.objects.select_for_update().select_related("ladder", "level").get(pk=employee.pk)
    )  # one start at a time per person, so two drafts cannot race each other
    _check_reviewer(employee, by)
    targets = {target.level.pk: target for target in review_targets(employee)}
    if target_level.pk not in targets:
        raise ValidationError(
            {
                "target_level": (
                    f"{employee} can be reviewed against their current level or a next level "
                    f"on one of their tracks; {target_level.name} is neither."
                )
            }
        )
    existing = (
        Review.objects.filter(
            employee=employee, target_level=target_level, status=Review.Status.DRAFT
        )
        .select_related("author")
        .first()
    )
    if existing is not None and existing.author_id != by.pk:
        # A draft is its author's alone: name them, but do not point at what only they see.
        raise ValidationError(
            {
                "target_level": ValidationError(
                    f"{made_by(existing.author)} is already writing a review of {employee} "
                    f"against {target_level.name}; it will show on their page once shared.",
                    code="draft_by_someone_else",
                )
            }
        )
    if existing is not None:
        raise ValidationError(
            {
                "target_level": ValidationError(
                    f"There is already a draft review of {employee} against "
                    f"{target_level.name}; continue that one or share it first.",
                    code="draft_exists",
                    params={"review": existing.pk},
                )
            }
        )
    expectations = list(
        target_level.expectations.active()
        .select_related("category")
        .order_by("category__position", "category_id", "position", "id")
    )
    if not expectations:
        raise ValidationError(
            {
                "target_level": (
                    f"{target_level.name} has no expectations to rate yet; "
                    "HR can add them to the ladder first."
                )
            }
        )
    review = Review.objects.create(
        employee=employee,
        target_level=target_level,
        target_level_name=target_level.name,
        author=by,
    )
    ReviewRating.objects.bulk_create(
        ReviewRating(
            review=review,
            expectation=expectation,
            expectation_text=expectation.text,
            category_name=expectation.category.name,
            position=position,
        )
        for position, expectation in enumerate(expectations, start=1)
    )
    return review


def _check_draft(review):
    if review.status != Review.Status.DRAFT:
        raise ValidationError(
            f"This review is already shared with {review.employee}; "
            "a shared review can no longer be changed.",
            code="not_draft",
        )


@transaction.atomic
def save_review(*, review, ratings, readiness, summary, version, by):
    """Save a draft: `ratings` maps rating ids of this review to (rating, comment).

    Refuses (ValidationError, nothing written) a review that is no longer a draft, a
    `version` other than the saved one (someone else saved in between), and values outside
    the scale or too long. Every save increments the version."""
    current = _locked(review)
    _check_author(current, by)
    _check_draft(current)
    if version != current.version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    rows = {row.pk: row for row in current.ratings.all()}
    errors = {}
    unknown = set(ratings) - set(rows)
    if unknown:
        errors["ratings"] = "Some of those ratings are not part of this review."
    for pk, (rating, comment) in ratings.items():
        if pk not in rows:
            continue
        if rating and rating not in Rating.values:
            errors[f"rating_{pk}"] = "Choose a rating from the scale."
        if len(comment) > MAX_COMMENT:
            errors[f"comment_{pk}"] = f"Keep the comment under {MAX_COMMENT} characters."
    if readiness and readiness not in Review.Readiness.values:
        errors["readiness"] = "Choose a readiness from the list."
    if len(summary) > MAX_SUMMARY:
        errors["summary"] = f"Keep the summary under {MAX_SUMMARY} characters."
    if errors:
        raise ValidationError(errors)
    changed = []
    for pk, (rating, comment) in ratings.items():
        row = rows[pk]
        comment = comment.strip()
        if (row.rating, row.comment) != (rating, comment):
            row.rating, row.comment = rating, comment
            changed.append(row)
    ReviewRating.objects.bulk_update(changed, ["rating", "comment"])
    current.readiness = readiness
    current.summary = summary.strip()
    current.version += 1
    current.save(update_fields=["readiness", "summary", "version", "updated_at"])
    return current


def missing_for_sharing(review, ratings):
    """What still has to be filled in before `review` can be shared, in words."""
    unrated = [row for row in ratings if not row.rating]
    missing = []
    if unrated:
        missing.append(
            f"rate {len(unrated)} more expectation{'s' if len(unrated) != 1 else ''}"
            if len(unrated) < len(ratings)
            else "rate every expectation"
        )
    if not review.readiness:
        missing.append("choose an overall readiness")
    return missing


def sharing_refusal(review, missing):
    """Why `review` cannot be shared yet, `missing` being `missing_for_sharing`'s list."""
    return f"Before sharing it with {review.employee}, {' and '.join(missing)}."


@transaction.atomic
def share_review(*, review, by, version=None):
    """Show a finished draft to the person: every expectation rated and a readiness chosen.
    From then on the review is read-only. `version`, when given, is the version its author
    confirmed sharing: a draft saved again since then is refused (code "stale"), so
    nothing they have not seen is shared."""
    current = _locked(review)
    _check_author(current, by)
    _check_draft(current)
    if version is not None and version != current.version:
        raise ValidationError(SHARE_STALE_MESSAGE, code="stale")
    missing = missing_for_sharing(current, list(current.ratings.all()))
    if missing:
        raise ValidationError(sharing_refusal(current, missing), code="incomplete")
    _snapshot_evidence(current)
    current.status = Review.Status.SHARED
    current.shared_at = timezone.now()
    current.version += 1
    current.save(update_fields=["status", "shared_at", "version", "updated_at"])
    kept.changed(current.employee_id)  # its ratings now count towards readiness
    notifications.review_shared(current)
    return current


@transaction.atomic
def acknowledge_review(*, review, by, comment=""):
    """The person confirms they have read their shared review, with an optional comment."""
    current = _locked(review)
    if not access.is_self(by, current.employee):
        raise PermissionDenied("Only the person reviewed acknowledges their review.")
    if current.status == Review.Status.ACKNOWLEDGED:
        when = date_format(timezone.localtime(current.acknowledged_at))
        raise ValidationError(f"You already acknowledged this review on {when}.")
    if current.status != Review.Status.SHARED:
        raise ValidationError("This review has not been shared with you yet.")
    if len(comment) > MAX_ACKNOWLEDGEMENT:
        raise ValidationError(
            {"comment": f"Keep the comment under {MAX_ACKNOWLEDGEMENT} characters."}
        )
    current.status = Review.Status.ACKNOWLEDGED
    current.acknowledged_at = timezone.now()
    current.acknowledgement = comment.strip()
    current.version += 1
    current.save(
        update_fields=["status", "acknowledged_at", "acknowledgement", "version", "updated_at"]
    )
    notifications.review_acknowledged(current)
    return current


# Reads --------------------------------------------------------------------------------------


def reviews_for(user, employee):
    """The reviews of `employee` that `user` may see (`access`: shared ones, and their own
    drafts), newest first, with what the list shows loaded up front (one query)."""
    return (
        access.restrict(Review.objects.filter(employee=employee), user, person=employee)
        .select_related("author", "target_level")
        .annotate(
            rating_count=Count("ratings"),
            rated_count=Count("ratings", filter=~Q(ratings__rating="")),
        )
        .order_by("-created_at", "-id")  # Meta.ordering does not apply to aggregates
    )


@dataclass
class CategoryRatings:
    name: str
    ratings: list


@dataclass
class ReviewPage:
    """A review's ratings, each with `.evidence` (what `user` may read against that
    expectation, confirmed, newest first), grouped by category in review order."""

    review: Review
    ratings: list
    groups: list

    @property
    def rated_count(self):
        return sum(1 for row in self.ratings if row.rating)


@dataclass
class EvidenceAsShared:
    """An evidence item as it read when the review was shared."""

    observed_on: datetime.date
    source: str
    visibility: str
    description: str
    link: str
    author_name: str
    kind: str = "shows"
    author: None = None


def _snapshot_evidence(review):
    """Copy the evidence beside each rating onto the rating, so the shared review keeps
    showing what it was written against, whatever is edited or deleted later."""
    ratings = list(review.ratings.all())
    live = (
        Evidence.objects.confirmed()
        .filter(
            employee=review.employee,
            expectation_id__in=[row.expectation_id for row in ratings],
        )
        .select_related("author")
    )
    by_expectation = {}
    for item in live:
        author = made_by(item.author, nobody="")
        by_expectation.setdefault(item.expectation_id, []).append(
            {
                "observed_on": item.observed_on.isoformat(),
                "source": item.source,
                "visibility": item.visibility,
                "kind": item.kind,
                "description": item.description,
                "link": item.link,
                "author_name": author,
            }
        )
    for row in ratings:
        row.evidence_snapshot = by_expectation.get(row.expectation_id, [])
    ReviewRating.objects.bulk_update(ratings, ["evidence_snapshot"])


def _as_shared(row, user, review):
    items = [
        EvidenceAsShared(
            observed_on=datetime.date.fromisoformat(data["observed_on"]),
            source=data["source"],
            visibility=data["visibility"],
            description=data["description"],
            link=data["link"],
            author_name=data["author_name"],
            kind=data.get("kind", "shows"),  # snapshots from before growth notes
        )
        for data in row.evidence_snapshot
    ]
    if access.is_self(user, review.employee):  # private notes never reach the person
        items = [item for item in items if item.visibility != Evidence.Visibility.PRIVATE]
    return items


def review_page(user, review, *, ratings=None):
    """The ratings of `review` (or the `ratings` rows given, already loaded) with the
    evidence beside each one: 2 queries, however much evidence there is."""
    if ratings is None:
        ratings = list(review.ratings.order_by("position", "id"))
    by_expectation = {}
    if review.status != Review.Status.DRAFT:
        evidence = []  # a shared review shows the evidence as it was when shared
    else:
        evidence = (
            access.restrict(Evidence.objects.confirmed().filter(employee=review.employee), user)
            .filter(
                expectation_id__in=[row.expectation_id for row in ratings],
            )
            .select_related("author")
        )
    for item in evidence:
        by_expectation.setdefault(item.expectation_id, []).append(item)
    groups = []
    shared = review.status != Review.Status.DRAFT
    for row in ratings:
        if shared:
            row.evidence = _as_shared(row, user, review)
        else:
            row.evidence = by_expectation.get(row.expectation_id, [])
        if not groups or groups[-1].name != row.category_name:
            groups.append(CategoryRatings(row.category_name, []))
        groups[-1].ratings.append(row)
    return ReviewPage(review=review, ratings=ratings, groups=groups)

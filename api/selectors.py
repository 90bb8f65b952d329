"""Reads of the API, with their relations loaded up front (a fixed number of queries
however many rows a page holds). Which rows a caller sees is `assessments.access`'s call."""

from django.db.models import Prefetch

from assessments import access
from assessments.models import Employee, Evidence, LevelAssignment, Review
from levels.models import Expectation, TrackLevel


def ladder_with_structure(ladder):
    """`ladder` with its categories, levels (with current expectations), tracks and
    promotion criteria loaded as `category_rows`, `level_rows` (`expectation_rows`),
    `track_rows` (`level_keys`) and `criterion_rows`: six queries."""
    categories = list(ladder.categories.all())
    keys = {category.pk: category.key for category in categories}
    levels = list(
        ladder.levels.prefetch_related(
            Prefetch(
                "expectations",
                queryset=Expectation.objects.filter(is_active=True, category__is_active=True),
                to_attr="expectation_rows",
            )
        )
    )
    for level in levels:
        for item in level.expectation_rows:
            item.category_key = keys[item.category_id]
    tracks = list(
        ladder.tracks.prefetch_related(
            Prefetch(
                "track_levels",
                queryset=TrackLevel.objects.select_related("level").order_by("position"),
                to_attr="steps",
            )
        )
    )
    for track in tracks:
        track.level_keys = [step.level.key for step in track.steps]
    ladder.category_rows = categories
    ladder.level_rows = levels
    ladder.track_rows = tracks
    ladder.criterion_rows = list(ladder.promotion_criteria.all())
    return ladder


PERSON_RELATIONS = ("ladder", "track", "level", "manager")


def _with_history(people):
    return people.select_related(*PERSON_RELATIONS).prefetch_related(
        Prefetch(
            "assignments",
            queryset=LevelAssignment.objects.select_related("level", "track"),
        )
    )


def people_for(user):
    """The people `user` may see, each with their level history."""
    return _with_history(access.restrict(Employee.objects.all(), user))


def person_for(user, pk):
    """Person `pk` for `user` (404 unless they may see them), with their level history."""
    employee = access.get_employee(user, pk)
    return _with_history(Employee.objects.filter(pk=employee.pk)).get(), employee


def evidence_for(user, person=None):
    """The evidence `user` may read: of everyone they see, or only of `person` (a person
    `access.get_employee` loaded for them)."""
    items = Evidence.objects.all()
    if person is not None:
        items = access.restrict(items.filter(employee=person), user, person=person)
    else:
        items = access.restrict(items, user)
    return items.select_related("author").prefetch_related("criteria")


def reviews_for(user, person=None):
    """The reviews `user` may read (drafts: their author's alone)."""
    reviews = Review.objects.all()
    if person is not None:
        reviews = access.restrict(reviews.filter(employee=person), user, person=person)
    else:
        reviews = access.restrict(reviews, user)
    return reviews.select_related("author")

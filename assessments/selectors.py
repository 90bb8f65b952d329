"""
Reads about people: the reporting tree and the pages' data. Who may see whom is
decided in `access`.

The tree is read through each person's materialised path (`Employee.path`, see
`models`): everyone below someone is one range scan of the path's index, whether they
have five people below them or a hundred thousand; whether one person is below another
is a comparison of two loaded paths; a manager chain is the ids of a path, loaded in one
query. Nothing here walks the tree.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from levels.selectors import group_expectations
from levels.structure import ladder_structure

from .models import Employee, LevelAssignment, path_ids

HR_GROUP = "HR"

# What a page about someone shows of them, loaded with them: their ladder with the version
# of its structure (the key of the cached structure, `levels.structure`), track, level and
# manager.
PAGE_RELATIONS = ("ladder__structure_version", "track", "level", "manager")


def employee_of(user):
    """The employee record signed in as `user`, or None."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_employee"):
        reports = Employee.objects.filter(manager=OuterRef("pk"), is_active=True)
        user._employee = (
            Employee.objects.select_related(*PAGE_RELATIONS)
            .annotate(has_reports=Exists(reports))
            .filter(user=user, is_active=True)
            .first()
        )
    return user._employee


def below_q(employee, prefix=""):
    """A Q selecting everyone below `employee`, at any depth (their path starts with
    `employee`'s). With `prefix`, on a relation: `below_q(me, "employee__")`."""
    if not employee.path:  # never placed in the tree: nobody is below them
        return Q(pk__in=[])
    return Q(**{f"{prefix}path__within": employee.path}) & ~Q(**{f"{prefix}pk": employee.pk})


def in_tree_q(employee, prefix=""):
    """A Q selecting `employee` and everyone below them (on a relation with `prefix`, as
    `below_q`)."""
    if not employee.path:
        return Q(**{f"{prefix}pk": employee.pk})
    return Q(**{f"{prefix}path__within": employee.path})


def below(employee):
    """Everyone below `employee`, at any depth (one query, an index range scan)."""
    return Employee.objects.filter(below_q(employee))


def manager_chain(employee):
    """`employee`'s managers, nearest first (one query; none for the top of a tree)."""
    ids = path_ids(employee.path)[:-1]
    if not ids:
        return []
    managers = Employee.objects.in_bulk(ids)
    return [managers[pk] for pk in reversed(ids) if pk in managers]


def level_history(employee):
    return LevelAssignment.objects.filter(employee=employee).select_related(
        "level", "track", "assigned_by"
    )


@dataclass
class NextStep:
    """A next level, the tracks it is next on, and what changes on the way there."""

    level: object
    tracks: list
    changes: list
    on_own_track: bool


@dataclass
class Placement:
    """Where a person stands: their level's expectations, and the next level(s)."""

    groups: list
    next_steps: list


def placement(employee, structure=None):
    """The current level's expectations and each next level (`levels.selectors.next_steps`)
    with what is new or changed, from the ladder's `structure` (`levels.structure`: no
    query once it is cached)."""
    structure = structure or ladder_structure(employee.ladder)
    following = structure.next_steps(employee.level, own_track_id=employee.track_id)
    current = next((level for level in structure.levels if level == employee.level), None)
    shown = [step.level for step in following]
    if current is not None:
        shown.append(current)
    structure.with_expectations(shown)
    steps = [  # the person's own track first
        NextStep(
            level=step.level,
            tracks=step.tracks,
            changes=structure.comparison(current, step.level),
            on_own_track=any(track.pk == employee.track_id for track in step.tracks),
        )
        for step in following
    ]
    return Placement(
        groups=group_expectations(
            structure.categories, current.expectation_list if current else []
        ),
        next_steps=steps,
    )


def in_order(people, ids):
    """The rows of `people` with these `ids`, in their order: a list's page found by id
    first, then read whole. Anyone gone from `people` since the ids were found (say
    deactivated) is left out. One query, even for no ids (0 is nobody's id), so that a
    page's queries are the same whatever it lists."""
    found = {row.pk: row for row in people.filter(pk__in=list(ids) or [0])}
    return [found[pk] for pk in ids if pk in found]


def team(employee, *, everyone=False):
    """The people below `employee` (directly, or at any depth with `everyone`), with what
    the team page shows loaded up front."""
    people = below(employee) if everyone else Employee.objects.filter(manager=employee)
    return _for_team_page(people)


def team_of_everyone():
    """Everyone, for HR's team page."""
    return _for_team_page(Employee.objects.all())


def _for_team_page(people):
    # Time in level and readiness are read with the table's figures (`teamtable`).
    return people.filter(is_active=True).select_related(*PAGE_RELATIONS)

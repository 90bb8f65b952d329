"""
Reads about people: the reporting tree and the pages' data. Who may see whom is
decided in `access`.

The tree is walked in the database with recursive common table expressions over the
indexed `manager_id` column (SQLite and PostgreSQL both support them), so a subtree or a
manager chain costs one query however deep or wide the organisation is.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.expressions import RawSQL

from levels.compare import compare_levels
from levels.selectors import group_expectations, levels_with_expectations, next_steps

from .models import Employee, LevelAssignment

HR_GROUP = "HR"

_TABLE = Employee._meta.db_table

# Everyone below a person (not the person), at any depth. UNION, not UNION ALL, so that
# even a damaged tree with a loop cannot make the query run forever.
_SUBTREE_SQL = f"""
    WITH RECURSIVE subtree(id) AS (
        SELECT id FROM {_TABLE} WHERE manager_id = %s
        UNION
        SELECT e.id FROM {_TABLE} e JOIN subtree s ON e.manager_id = s.id
    )
    SELECT id FROM subtree
"""  # The table name is ours; values are always passed as parameters.

# A person's managers, nearest first, with their depth above the person.
_CHAIN_SQL = f"""
    WITH RECURSIVE chain(id, manager_id, depth) AS (
        SELECT id, manager_id, 0 FROM {_TABLE} WHERE id = %s
        UNION
        SELECT e.id, e.manager_id, c.depth + 1
        FROM {_TABLE} e JOIN chain c ON e.id = c.manager_id
        WHERE c.depth < 1000
    )
    SELECT id FROM chain WHERE depth > 0
"""


def employee_of(user):
    """The employee record signed in as `user`, or None."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_employee"):
        reports = Employee.objects.filter(manager=OuterRef("pk"), is_active=True)
        user._employee = (
            Employee.objects.select_related("ladder", "track", "level", "manager")
            .annotate(has_reports=Exists(reports))
            .filter(user=user, is_active=True)
            .first()
        )
    return user._employee


def subtree_ids(employee):
    """A subquery of the ids of everyone below `employee`, at any depth."""
    return RawSQL(_SUBTREE_SQL, [employee.pk])


def chain_ids(employee):
    return RawSQL(_CHAIN_SQL, [employee.pk])


def below(employee):
    """Everyone below `employee`, at any depth (one query)."""
    return Employee.objects.filter(pk__in=subtree_ids(employee))


def manager_chain(employee):
    """`employee`'s managers, nearest first (one query)."""
    chain = {e.pk: e for e in Employee.objects.filter(pk__in=chain_ids(employee))}
    ordered, current = [], employee.manager_id
    while current in chain and current != employee.pk and chain[current] not in ordered:
        ordered.append(chain[current])
        current = chain[current].manager_id
    return ordered


def is_below(employee, manager):
    """Whether `employee` reports to `manager`, directly or not: one query that walks up
    from `employee`, so it costs the depth of the tree, not the size of the team."""
    return Employee.objects.filter(pk__in=chain_ids(employee)).filter(pk=manager.pk).exists()


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


def placement(employee):
    """The current level's expectations and each next level (`levels.selectors.next_steps`)
    with what is new or changed, in a fixed number of queries."""
    ladder = employee.ladder
    categories = list(ladder.categories.active())
    following = next_steps(ladder, employee.level, own_track_id=employee.track_id)
    keys = [employee.level.key, *(step.level.key for step in following)]
    loaded = {level.key: level for level in levels_with_expectations(ladder, keys)}
    current = loaded.get(employee.level.key)
    steps = [  # the person's own track first
        NextStep(
            level=loaded[step.level.key],
            tracks=step.tracks,
            changes=compare_levels(categories, current, loaded[step.level.key]),
            on_own_track=any(track.pk == employee.track_id for track in step.tracks),
        )
        for step in following
    ]
    return Placement(
        groups=group_expectations(categories, current.expectation_list if current else []),
        next_steps=steps,
    )


def team(employee, *, everyone=False):
    """The people below `employee` (directly, or at any depth with `everyone`), with what
    the team page shows loaded up front."""
    people = below(employee) if everyone else Employee.objects.filter(manager=employee)
    return _for_team_page(people)


def team_of_everyone():
    """Everyone, for HR's team page."""
    return _for_team_page(Employee.objects.all())


def _for_team_page(people):
    return (
        people.filter(is_active=True)
        .select_related("ladder", "level", "track", "manager")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=LevelAssignment.objects.order_by("-effective_on", "-id"),
                to_attr="assignment_list",
            )
        )
    )

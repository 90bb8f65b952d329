"""
Who may see and do what: the one home of the app's access rules. Views, services,
selectors, the admin and the templates ask here; nothing else decides.

People
- A person sees themselves; a manager sees everyone below them, at any depth; HR (the HR
  group and superusers) sees everyone. Inactive sign-ins and anonymous users see nobody.
- Acting on someone as a manager (assigning a level, recording evidence about them,
  confirming their wins, writing their reviews, printing their packet) is for anyone above
  them and for HR, and never on one's own record: HR and superusers included. Where HR
  needs their own level changed, their manager or another HR person does it.

Evidence
- Read through its person. The person reads what is shared with them and what they wrote
  themselves; managers above them and HR read everything.
- Only its author edits or deletes it; confirming or declining a win is managing its person.

Reviews
- Read through their person. A draft is read and written by its author only (HR reads every
  review in the admin): it never shows on the person's pages, in their readiness or on their
  packet. Once shared, the person and everyone who may manage them read it, and the person
  acknowledges it.

`restrict(queryset, user, action)` narrows a queryset of people, evidence or reviews to the
rows `user` may `action` (in the database, one query however big the organisation is);
`can(user, action, obj)` answers for one object; `get_employee`, `get_evidence` and
`get_review` load one object for a page or refuse: 404 when `user` may not see it, so
"does not exist" and "not yours" look alike, and 403 when they may see but not do it.
Each refusal says why, for the refusal log (`pmladder.middleware`), which writes it down
with the user and the address.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.http import Http404

from .models import Employee, Evidence, Review
from .selectors import HR_GROUP, employee_of, is_below, subtree_ids

VIEW = "view"
MANAGE = "manage"  # act on a person as their manager: level, evidence, reviews, packet
CHANGE = "change"  # edit what one wrote: evidence, a draft review
DECIDE = "decide"  # confirm or decline a win
ACKNOWLEDGE = "acknowledge"  # the person confirms they read a shared review
LOG_WIN = "log_win"  # a person logs evidence about themselves, for a manager to confirm

SHARED_REVIEW = [Review.Status.SHARED, Review.Status.ACKNOWLEDGED]

# The person signed in as `user_id` (if active) and everyone below them.
_VISIBLE_SQL = f"""
    WITH RECURSIVE visible(id) AS (
        SELECT id FROM {Employee._meta.db_table} WHERE user_id = %s AND is_active
        UNION
        SELECT e.id FROM {Employee._meta.db_table} e JOIN visible v ON e.manager_id = v.id
    )
    SELECT id FROM visible
"""  # The table name is ours; values are always passed as parameters.


# Roles ---------------------------------------------------------------------------------------


def is_hr(user):
    """HR sees everyone and manages everyone but themselves: superusers and members of the
    HR group, while their sign-in is active."""
    if not user.is_authenticated or not user.is_active:
        return False
    if not hasattr(user, "_is_hr"):
        user._is_hr = user.is_superuser or user.groups.filter(name=HR_GROUP).exists()
    return user._is_hr


def is_manager(user):
    """Whether `user` gets the Team page: HR, and anyone with someone reporting to them."""
    if is_hr(user):
        return True
    me = employee_of(user)
    return me is not None and me.has_reports


def is_self(user, employee):
    """Whether `employee` is `user`'s own record."""
    return employee.user_id is not None and employee.user_id == user.pk


# Many objects --------------------------------------------------------------------------------


def _people(user, action):
    """A Q selecting the people `user` may `action` (VIEW or MANAGE)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_hr(user):
        return ~Q(user=user) if action == MANAGE else Q()
    if action == MANAGE:
        me = employee_of(user)
        return Q(pk__in=subtree_ids(me)) if me is not None else Q(pk__in=[])
    return Q(pk__in=RawSQL(_VISIBLE_SQL, [user.pk]))


def _evidence(user, action):
    if action == VIEW:
        return Q(employee__in=Employee.objects.filter(_people(user, VIEW))) & (
            ~Q(employee__user=user) | Q(visibility=Evidence.Visibility.SHARED) | Q(author=user)
        )
    if action == CHANGE:
        return _evidence(user, VIEW) & Q(author=user)
    if action == DECIDE:
        return Q(employee__in=Employee.objects.filter(_people(user, MANAGE)))
    raise ValueError(f"Unknown action on evidence: {action!r}")


def _reviews(user, action):
    visible = Q(employee__in=Employee.objects.filter(_people(user, VIEW)))
    if action == VIEW:
        # Shared reviews, and one's own drafts of someone else.
        return visible & (Q(status__in=SHARED_REVIEW) | (Q(author=user) & ~Q(employee__user=user)))
    if action == CHANGE:
        managed = Employee.objects.filter(_people(user, MANAGE))
        return Q(employee__in=managed, author=user, status=Review.Status.DRAFT)
    if action == ACKNOWLEDGE:
        return Q(employee__user=user, status__in=SHARED_REVIEW)
    raise ValueError(f"Unknown action on reviews: {action!r}")


_RULES = {Employee: _people, Evidence: _evidence, Review: _reviews}


def restrict(queryset, user, action=VIEW):
    """`queryset` narrowed to the rows `user` may `action`. Deleted evidence is never
    included."""
    rule = _RULES.get(queryset.model)
    if rule is None:
        raise TypeError(f"No access rule for {queryset.model.__name__}.")
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if queryset.model is Evidence:
        queryset = queryset.filter(deleted_at__isnull=True)
    return queryset.filter(rule(user, action))


# One object ----------------------------------------------------------------------------------


def can(user, action, obj):
    """Whether `user` may `action` the person, evidence item or review `obj`. The same rules
    as `restrict`, checked for one object (at most a query or two: the walk up the tree)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if isinstance(obj, Employee):
        return _can_person(user, action, obj)
    if isinstance(obj, Evidence):
        return _can_evidence(user, action, obj)
    if isinstance(obj, Review):
        return _can_review(user, action, obj)
    raise TypeError(f"No access rule for {type(obj).__name__}.")


def _can_person(user, action, employee):
    if action == LOG_WIN:
        return is_self(user, employee) and employee.is_active
    if action not in (VIEW, MANAGE):
        raise ValueError(f"Unknown action on a person: {action!r}")
    if is_self(user, employee):
        return action == VIEW and employee.is_active
    if is_hr(user):
        return True
    me = employee_of(user)
    return me is not None and is_below(employee, me)


def _can_evidence(user, action, evidence):
    if evidence.deleted_at is not None:
        return False
    if action == DECIDE:
        return _can_person(user, MANAGE, evidence.employee)
    if not _can_person(user, VIEW, evidence.employee):
        return False
    readable = (
        not is_self(user, evidence.employee)
        or evidence.visibility == Evidence.Visibility.SHARED
        or evidence.author_id == user.pk
    )
    if action == VIEW:
        return readable
    if action == CHANGE:
        return readable and evidence.author_id == user.pk
    raise ValueError(f"Unknown action on evidence: {action!r}")


def _can_review(user, action, review):
    employee = review.employee
    own = is_self(user, employee)
    shared = review.status in SHARED_REVIEW
    if action == ACKNOWLEDGE:
        return own and shared
    if not _can_person(user, VIEW, employee):
        return False
    if action == VIEW:
        return shared or (review.author_id == user.pk and not own)
    if action == CHANGE:
        return (
            review.status == Review.Status.DRAFT
            and review.author_id == user.pk
            and _can_person(user, MANAGE, employee)
        )
    raise ValueError(f"Unknown action on a review: {action!r}")


# Loading for a page --------------------------------------------------------------------------


def refuse(user, action, what, reason, *, status=403):
    """Refuse `user` doing `action` on `what`: 404 hides the object, 403 does not. The
    refusal log (`pmladder.middleware`) writes the message down with the user and the
    address; the 404 page never shows it."""
    if status == 404:
        raise Http404(f"Cannot {action} {what}: {reason}.")
    raise PermissionDenied(reason[:1].upper() + reason[1:] + ".")


def get_employee(user, pk, action=VIEW):
    """Person `pk` for a page: 404 unless `user` may see them, 403 unless they may also
    `action` them (MANAGE: never their own record)."""
    employee = (
        Employee.objects.select_related("ladder", "track", "level", "manager", "user")
        .filter(pk=pk)
        .first()
    )
    what = f"person {pk}"
    if employee is None or not can(user, VIEW, employee):
        refuse(user, action, what, "not visible to them", status=404)
    # Whoever may see someone else is HR or above them, so may manage them.
    employee.can_manage = not is_self(user, employee)
    if action == VIEW:
        return employee
    if not (employee.can_manage if action == MANAGE else can(user, action, employee)):
        if is_self(user, employee):
            refuse(user, action, what, "nobody acts as a manager on their own record")
        refuse(user, action, what, "only their managers and HR can do this")
    return employee


def get_evidence(user, pk, action=VIEW):
    """Evidence `pk` for a page: 404 unless `user` may read it, 403 unless they may also
    `action` it (CHANGE: its author; DECIDE: managing its person)."""
    evidence = (
        Evidence.objects.select_related("employee__user", "author", "level")
        .filter(pk=pk, deleted_at__isnull=True)
        .first()
    )
    what = f"evidence {pk}"
    if evidence is None or not can(user, VIEW, evidence):
        refuse(user, action, what, "not visible to them", status=404)
    if action == VIEW:
        return evidence
    if not can(user, action, evidence):
        reasons = {
            CHANGE: "only its author can change it",
            DECIDE: "only their managers and HR confirm someone's wins",
        }
        refuse(user, action, what, reasons.get(action, "not allowed"))
    return evidence


def get_review(user, pk, action=VIEW):
    """Review `pk` for a page: 404 unless `user` may read it (a draft, only its author),
    403 unless they may also `action` it (CHANGE: its author while it is a draft and they
    still manage the person; ACKNOWLEDGE: the person, once shared). Sets
    `review.can_write`."""
    review = (
        Review.objects.select_related(
            "employee__user", "employee__level", "employee__ladder", "author", "target_level"
        )
        .filter(pk=pk)
        .first()
    )
    what = f"review {pk}"
    if review is None or not can(user, VIEW, review):
        refuse(user, action, what, "not visible to them", status=404)
    # Its author, while they still manage the person (whoever may see someone else may
    # manage them); whether it is still a draft is for the page to say: a shared review
    # is read-only, not forbidden.
    review.can_write = review.author_id == user.pk and not is_self(user, review.employee)
    if action == VIEW:
        return review
    if not (review.can_write if action == CHANGE else can(user, action, review)):
        reasons = {
            CHANGE: "only its author writes a review, while they manage the person",
            ACKNOWLEDGE: "only the person reviewed acknowledges their review",
        }
        refuse(user, action, what, reasons.get(action, "not allowed"))
    return review

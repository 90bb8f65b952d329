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

Promotion rounds
- HR runs rounds: creates them, edits them until finalised, and moves them on. A round in
  draft is for HR alone; once open, its committee, managers (and, where the round allows
  people to nominate themselves, everyone on a ladder) see it.
- Anyone above someone (never on themselves) nominates them while the round takes
  nominations, before its deadline, for a next level, when the round covers them; where
  the round allows it, people nominate themselves. The nominator and anyone managing the
  person edit the case until nominations close; someone above the person's manager (not
  the nominator) endorses it.
- HR and the committee calibrate: they read every nomination of the round, its packet,
  its committee notes and history, and decide each while the round is calibrating.
- Nobody acts on their own nomination, HR and committee members included, and nobody
  reads the committee's notes or history about themselves. The person sees their own
  nomination if they made it (or, in a round where people may put themselves forward,
  that someone else nominated them: the round, the level and who, nothing more), and their
  outcome (the decision and the feedback; for a
  promotion, its rationale too, which their level history gives) only once the round is
  finalised; the people who manage them see the case and packet, and the
  outcome once finalised.

Ladders
- A published ladder is for everyone signed in. A draft (HR's work in progress) and a
  retired ladder (kept for its records) are for HR alone: anyone else gets 404.

`restrict(queryset, user, action)` narrows a queryset of people, evidence or reviews to the
rows `user` may `action` (in the database, one query however big the organisation is: who
is below whom is a range of the tree's paths, never a list of everyone visible);
`can(user, action, obj)` answers for one object; `get_employee`, `get_evidence` and
`get_review` load one object for a page or refuse: 404 when `user` may not see it, so
"does not exist" and "not yours" look alike, and 403 when they may see but not do it.
A page about one person decides once what `user` may do with them (`get_employee`), and
narrows that person's evidence, reviews and nominations by that decision
(`restrict(..., person=employee)`) without asking the database about the tree again.
Each refusal says why, for the refusal log (`pmladder.middleware`), which writes it down
with the user and the address.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from jobs.models import Job
from levels.models import Ladder
from rounds.models import Nomination, Round

from .models import Employee, Evidence, Review
from .selectors import HR_GROUP, PAGE_RELATIONS, below_q, employee_of, in_tree_q

VIEW = "view"
MANAGE = "manage"  # act on a person as their manager: level, evidence, reviews, packet
CHANGE = "change"  # edit what one wrote: evidence, a draft review
DECIDE = "decide"  # confirm or decline a win
ACKNOWLEDGE = "acknowledge"  # the person confirms they read a shared review
LOG_WIN = "log_win"  # a person logs evidence about themselves, for a manager to confirm
RUN = "run"  # HR runs a round: edits it, moves it on, finalises it
CALIBRATE = "calibrate"  # read a round's candidates side by side (HR and the committee)
ENDORSE = "endorse"  # back a nomination from above the person's manager

SHARED_REVIEW = [Review.Status.SHARED, Review.Status.ACKNOWLEDGED]

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


def _people(user, action, prefix=""):
    """A Q selecting the people `user` may `action` (VIEW or MANAGE); with `prefix`, the
    rows whose relation `prefix` leads to them (e.g. "employee__")."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_hr(user):
        return ~Q(**{f"{prefix}user": user}) if action == MANAGE else Q()
    me = employee_of(user)
    if me is None:
        return Q(pk__in=[])
    # Everyone below them; to see, themselves too.
    return below_q(me, prefix) if action == MANAGE else in_tree_q(me, prefix)


# The rules for rows about people (evidence, reviews, nominations) take `people`: action ->
# a Q selecting the rows about the people `user` may `action` (see `restrict`).


def _evidence(user, action, people):
    if action == VIEW:
        return people(VIEW) & (
            ~Q(employee__user=user) | Q(visibility=Evidence.Visibility.SHARED) | Q(author=user)
        )
    if action == CHANGE:
        return _evidence(user, VIEW, people) & Q(author=user)
    if action == DECIDE:
        return people(MANAGE)
    raise ValueError(f"Unknown action on evidence: {action!r}")


def _reviews(user, action, people):
    if action == VIEW:
        # Shared reviews, and one's own drafts of someone else.
        return people(VIEW) & (
            Q(status__in=SHARED_REVIEW) | (Q(author=user) & ~Q(employee__user=user))
        )
    if action == CHANGE:
        return people(MANAGE) & Q(author=user, status=Review.Status.DRAFT)
    if action == ACKNOWLEDGE:
        return Q(employee__user=user, status__in=SHARED_REVIEW)
    raise ValueError(f"Unknown action on reviews: {action!r}")


def _committee_rounds(user):
    return Round.committee.through.objects.filter(user=user).values("round_id")


def _rounds(user, action):
    hr = is_hr(user)
    if action == VIEW:
        if hr:
            return Q()
        # A round in draft is for HR alone, its committee included.
        opened = ~Q(state=Round.State.DRAFT)
        if is_manager(user):
            return opened
        open_to_them = Q(self_nomination=True) if employee_of(user) else Q(pk__in=[])
        return opened & (Q(pk__in=_committee_rounds(user)) | open_to_them)
    if action == CALIBRATE:
        return (Q() if hr else Q(pk__in=_committee_rounds(user))) & Q(state__in=CALIBRATED)
    if action == RUN:
        return Q() if hr else Q(pk__in=[])
    raise ValueError(f"Unknown action on rounds: {action!r}")


def _nominations(user, action, people):
    own = Q(employee__user=user)
    managed = people(MANAGE) & ~own
    committee = (Q() if is_hr(user) else Q(round__in=_committee_rounds(user))) & ~own
    if action == VIEW:
        return (
            managed
            | committee
            | (own & (Q(nominated_by=user) | Q(round__state=Round.State.FINALISED)))
            # Where people may put themselves forward, they are told someone else did.
            | (own & Q(round__self_nomination=True))
        )
    if action == DECIDE:
        return committee & Q(round__state=Round.State.CALIBRATING)
    if action == CHANGE:
        return Q(round__state=Round.State.NOMINATING) & (managed | (own & Q(nominated_by=user)))
    raise ValueError(f"Unknown action on nominations: {action!r}")


def _ladders(user, action):
    if action != VIEW:
        raise ValueError(f"Unknown action on ladders: {action!r}")
    return Q() if is_hr(user) else Q(status=Ladder.Status.PUBLISHED)


# Rounds whose candidates can be read side by side.
CALIBRATED = [Round.State.CALIBRATING, Round.State.FINALISED]

_RULES = {
    Employee: _people,
    Round: _rounds,
    Ladder: _ladders,
}
# Rules for rows about people.
_PERSON_RULES = {
    Evidence: _evidence,
    Review: _reviews,
    Nomination: _nominations,
}


def restrict(queryset, user, action=VIEW, *, person=None):
    """`queryset` narrowed to the rows `user` may `action`. Deleted evidence is never
    included.

    With `person` (evidence, reviews and nominations), only the rows about that person,
    narrowed by what `user` may do with them as decided in Python (`decision`, made once
    by `get_employee` for a page) rather than by the tree in the database."""
    rule = _RULES.get(queryset.model) or _PERSON_RULES.get(queryset.model)
    if rule is None:
        raise TypeError(f"No access rule for {queryset.model.__name__}.")
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if queryset.model is Evidence:
        queryset = queryset.filter(deleted_at__isnull=True)
    if queryset.model not in _PERSON_RULES:
        return queryset.filter(rule(user, action))
    if person is None:

        def people(action):
            return _people(user, action, "employee__")

    else:

        def people(action):
            return Q(employee=person) if action in decision(user, person) else Q(pk__in=[])

    return queryset.filter(rule(user, action, people))


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
    if isinstance(obj, Round):
        return _can_round(user, action, obj)
    if isinstance(obj, Nomination):
        return _can_nomination(user, action, obj)
    if isinstance(obj, Ladder):
        return _can_ladder(user, action, obj)
    raise TypeError(f"No access rule for {type(obj).__name__}.")


def decision(user, employee):
    """What `user` may do with `employee` of VIEW and MANAGE, as a set: decided once for
    the loaded `employee` and kept on it."""
    kept = getattr(employee, "_decision", None)
    if kept is None or kept[0] != user.pk:
        allowed = frozenset(act for act in (VIEW, MANAGE) if can(user, act, employee))
        kept = employee._decision = (user.pk, allowed)
    return kept[1]


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
    return me is not None and employee.is_below(me)


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


def _can_ladder(user, action, ladder):
    if action != VIEW:
        raise ValueError(f"Unknown action on a ladder: {action!r}")
    return ladder.status == Ladder.Status.PUBLISHED or is_hr(user)


def org_people(user):
    """The active people `user`'s view of the organisation (`/org/`) covers: everyone for
    HR; for a manager, the people below them at any depth, never themselves; nobody for
    anyone else (one query when read: a range of the tree's paths)."""
    people = Employee.objects.filter(is_active=True)
    if is_hr(user):
        return people
    me = employee_of(user)
    if me is None or not user.is_active:
        return people.none()
    return people.filter(below_q(me))


def visible_ladders(user):
    """The ladders `user` may browse: the published ones; every ladder for HR."""
    return restrict(Ladder.objects.all(), user)


def on_committee(user, round):
    """Whether `user` calibrates `round`: HR, and the round's committee."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_hr(user):
        return True
    cache = getattr(round, "_committee_ids", None)
    if cache is None:
        cache = round._committee_ids = set(round.committee.values_list("pk", flat=True))
    return user.pk in cache


def _can_round(user, action, round):
    if action == RUN:
        return is_hr(user)
    if action == CALIBRATE:
        return on_committee(user, round) and round.state in CALIBRATED
    if action == VIEW:
        if round.state == Round.State.DRAFT:
            return is_hr(user)
        if on_committee(user, round):
            return True
        return is_manager(user) or (round.self_nomination and employee_of(user) is not None)
    raise ValueError(f"Unknown action on a round: {action!r}")


def _can_nomination(user, action, nomination):
    employee, round = nomination.employee, nomination.round
    own = is_self(user, employee)
    if action == VIEW:
        if own:
            return (
                nomination.nominated_by_id == user.pk
                or round.state == Round.State.FINALISED
                or round.self_nomination
            )
        return on_committee(user, round) or _can_person(user, MANAGE, employee)
    if own and action != CHANGE:
        return False
    if action == DECIDE:
        return round.state == Round.State.CALIBRATING and on_committee(user, round)
    if action == CHANGE:
        if round.state != Round.State.NOMINATING:
            return False
        return nomination.nominated_by_id == user.pk if own else _can_person(user, MANAGE, employee)
    if action == ENDORSE:
        me = employee_of(user)
        return (
            round.state == Round.State.NOMINATING
            and nomination.nominated_by_id != user.pk
            and me is not None
            and employee.manager_id is not None
            and employee.manager_id != me.pk
            and employee.manager.is_below(me)
        )
    raise ValueError(f"Unknown action on a nomination: {action!r}")


def nomination_refusal(user, round, employee):
    """Why `user` may not nominate `employee` in `round` now, or None when they may. The
    rules of nominating in one place: the round takes nominations and its deadline has not
    passed, it covers the person, and `user` is above them (or is them, where the round allows
    people to nominate themselves)."""
    from rounds.selectors import in_scope, today

    if not user.is_authenticated or not user.is_active:
        return "only people signed in can nominate"
    if round.state != Round.State.NOMINATING:
        return "this round is not taking nominations"
    if round.nomination_deadline < today():
        return f"nominations for {round} closed on {round.nomination_deadline:%d %b %Y}"
    if is_self(user, employee):
        if not round.self_nomination:
            return "this round does not take nominations from people themselves"
    elif not can(user, MANAGE, employee):
        return "only their managers and HR can nominate someone"
    if not in_scope(round, employee):
        return f"{round} does not cover {employee}"
    return None


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
    employee = Employee.objects.select_related(*PAGE_RELATIONS, "user").filter(pk=pk).first()
    what = f"person {pk}"
    if employee is None or VIEW not in decision(user, employee):
        refuse(user, action, what, "not visible to them", status=404)
    # Whoever may see someone else is HR or above them, so may manage them.
    employee.can_manage = not is_self(user, employee)
    if action != VIEW:
        require(user, action, employee)
    return employee


def require(user, action, employee):
    """Refuse (403) unless `user` may also `action` `employee`, a person `get_employee`
    loaded for them: for a page that learns what it does only once the person is loaded."""
    if not (employee.can_manage if action == MANAGE else can(user, action, employee)):
        what = f"person {employee.pk}"
        if is_self(user, employee):
            refuse(user, action, what, "nobody acts as a manager on their own record")
        refuse(user, action, what, "only their managers and HR can do this")


def get_ladder(user, slug):
    """Ladder `slug` for a page: 404 unless `user` may see it (a draft or a retired ladder,
    HR only)."""
    ladder = Ladder.objects.filter(slug=slug).first()
    if ladder is None or not can(user, VIEW, ladder):
        refuse(user, VIEW, f"ladder {slug}", "not visible to them", status=404)
    return ladder


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


def get_round(user, pk, action=VIEW):
    """Round `pk` for a page: 404 unless `user` may see it, 403 unless they may also
    `action` it (RUN: HR; CALIBRATE: HR and its committee, once calibrating)."""
    round = Round.objects.select_related("org_root", "created_by", "finalised_by").filter(pk=pk)
    round = round.prefetch_related("ladders").first()
    what = f"round {pk}"
    if round is None or not can(user, VIEW, round):
        refuse(user, action, what, "not visible to them", status=404)
    if action != VIEW and not can(user, action, round):
        reasons = {
            RUN: "only HR runs promotion rounds",
            CALIBRATE: "only HR and the round's committee calibrate, once nominations close",
        }
        refuse(user, action, what, reasons.get(action, "not allowed"))
    return round


def get_nomination(user, pk, action=VIEW):
    """Nomination `pk` for a page: 404 unless `user` may see it, 403 unless they may also
    `action` it. Sets what the page shows them (`nomination.sight`, see `sight`)."""
    nomination = (
        Nomination.objects.select_related(
            "round",
            "employee__user",
            "employee__manager",
            "employee__ladder",
            "employee__level",
            "employee__track",
            "target_level",
            "target_track",
            "from_level",
            "nominated_by",
            "decided_by",
        )
        .filter(pk=pk)
        .first()
    )
    what = f"nomination {pk}"
    if nomination is None or not can(user, VIEW, nomination):
        refuse(user, action, what, "not visible to them", status=404)
    if action != VIEW and not can(user, action, nomination):
        reasons = {
            CHANGE: "only the people who manage them change a nomination",
            DECIDE: "only HR and the round's committee decide",
            ENDORSE: "only someone above their manager endorses a nomination, never the nominator",
        }
        closed = {
            CHANGE: nomination.round.state != Round.State.NOMINATING,
            ENDORSE: nomination.round.state != Round.State.NOMINATING,
            DECIDE: nomination.round.state != Round.State.CALIBRATING,
        }
        if closed.get(action):
            refuse(user, action, what, _closed_for(nomination.round, action))
        if is_self(user, nomination.employee):
            refuse(user, action, what, "nobody acts on their own nomination")
        refuse(user, action, what, reasons.get(action, "not allowed"))
    nomination.sight = sight(user, nomination)
    return nomination


def _closed_for(round, action):
    """Why `action` cannot be done on a nomination of `round` in its state."""
    if round.state == Round.State.FINALISED:
        return f"{round} is finalised: its nominations are read-only"
    if action == DECIDE:
        return f"{round} is not calibrating: decisions are made once nominations close"
    if round.state == Round.State.DRAFT:
        return f"{round} is not taking nominations yet"
    return (
        f"nominations for {round} closed on {round.nominations_closed_at:%d %b %Y}: the case "
        "is frozen as it stood"
        if round.nominations_closed_at
        else f"nominations for {round} have closed: the case is frozen as it stood"
    )


CASE, PACKET, OUTCOME, RATIONALE, DELIBERATION = (
    "case",
    "packet",
    "outcome",
    "rationale",
    "deliberation",
)


def sight(user, nomination):
    """What of `nomination` `user` reads: CASE (the case and endorsements), PACKET,
    OUTCOME (the decision and the feedback), RATIONALE (the reason given for the decision)
    and DELIBERATION (the decision while calibrating, the committee notes and the history).
    The person reads the case if they wrote it and their outcome once finalised, with the
    rationale when they were promoted (it is the reason their level history gives); those
    who manage them read the case and packet, and the outcome and rationale once finalised;
    HR and the committee read everything."""
    finalised = nomination.round.state == Round.State.FINALISED
    if is_self(user, nomination.employee):
        seen = {CASE} if nomination.nominated_by_id == user.pk else set()
        if finalised:
            seen.add(OUTCOME)
            if nomination.decision == Nomination.Decision.PROMOTE:
                seen.add(RATIONALE)
        return seen
    if on_committee(user, nomination.round):
        return {CASE, PACKET, OUTCOME, RATIONALE, DELIBERATION}
    return {CASE, PACKET} | ({OUTCOME, RATIONALE} if finalised else set())


# Background tasks ----------------------------------------------------------------------------


def visible_jobs(user):
    """Imports and exports run as tasks are HR's: every HR person sees them all, so a
    colleague can follow one; nobody else sees any."""
    return Job.objects.all() if is_hr(user) else Job.objects.none()

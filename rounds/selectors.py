"""Reads about rounds: who a round covers, what someone may be nominated for, the packet
a nomination carries, and the candidates of one level side by side."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from assessments import readiness as readiness_module
from assessments.models import Employee, Evidence, Review
from assessments.selectors import HR_GROUP, below_q, in_tree_q
from levels.history import made_by
from levels.selectors import next_steps, track_paths

from .models import Nomination, Round

# Scope ---------------------------------------------------------------------------------------


def scope(round):
    """The active people `round` covers: on its ladders (all when none is chosen) and below
    its part of the organisation (everyone when none is chosen)."""
    people = Employee.objects.filter(is_active=True)
    ladder_ids = [ladder.pk for ladder in round.ladders.all()]
    if ladder_ids:
        people = people.filter(ladder__in=ladder_ids)
    if round.org_root_id is not None:
        people = people.filter(below_q(round.org_root))
    return people


def in_scope(round, employee):
    """Whether `round` covers `employee` (a query or two, not the whole scope)."""
    if not employee.is_active:
        return False
    ladder_ids = [ladder.pk for ladder in round.ladders.all()]
    if ladder_ids and employee.ladder_id not in ladder_ids:
        return False
    return round.org_root_id is None or employee.is_below(round.org_root)


def default_committee(*, ladders=(), org_root=None):
    """Who calibrates unless HR chooses otherwise: HR, and the managers of managers among
    the people covered."""
    covered = Employee.objects.filter(is_active=True)
    if ladders:
        covered = covered.filter(ladder__in=ladders)
    if org_root is not None:
        covered = covered.filter(in_tree_q(org_root))
    managers_of_managers = covered.filter(
        reports__is_active=True, reports__reports__is_active=True, user__isnull=False
    )
    return (
        get_user_model()
        .objects.filter(
            Q(groups__name=HR_GROUP, is_active=True) | Q(pk__in=managers_of_managers.values("user"))
        )
        .distinct()
    )


# Nominating ----------------------------------------------------------------------------------


@dataclass
class Target:
    """A level someone may be nominated for, and the track it is on for them."""

    level: object
    track: object

    @property
    def value(self):
        return f"{self.track.pk}:{self.level.pk}"

    @property
    def label(self):
        return f"{self.level.name} ({self.track.name})"


def targets_for(employee):
    """The levels `employee` may be nominated for: the next on each track they can move to
    (`levels.selectors.next_steps`), their own track's first."""
    paths = track_paths(employee.ladder, include_retired=True)
    targets = []
    for step in next_steps(
        employee.ladder, employee.level, own_track_id=employee.track_id, paths=paths
    ):
        own = [track for track in step.tracks if track.pk == employee.track_id]
        targets.append(Target(step.level, (own or step.tracks)[0]))
    return targets


def open_rounds_for(employee):
    """The rounds taking nominations that cover `employee`, soonest deadline first."""
    today = timezone.localdate()
    rounds = Round.objects.filter(
        state=Round.State.NOMINATING, nomination_deadline__gte=today
    ).prefetch_related("ladders")
    return [round for round in rounds.order_by("nomination_deadline") if in_scope(round, employee)]


# The packet a nomination carries --------------------------------------------------------------


def _iso(day):
    return day.isoformat() if day else None


def packet(nomination, *, expectations=None, criteria=None):
    """The packet of `nomination` as it stands now, as plain data (what `snapshot` keeps
    when nominations close): readiness for the target level, coverage per category, each
    expectation with the shared evidence and the review rating behind it, support per
    criterion, time in level and manager. Only what the person can read is included:
    private notes never reach the committee's copy. Pass the target level's active
    `expectations` (with their categories) and the ladder's `criteria` when packing many
    (`readiness.readiness` then spares their queries)."""
    employee = nomination.employee  # callers load it with its ladder, level, track, manager
    level = nomination.target_level
    result = readiness_module.readiness(
        employee=employee, level=level, expectations=expectations, criteria=criteria
    )
    shared = (
        Evidence.objects.confirmed()
        .filter(
            employee=employee,
            visibility=Evidence.Visibility.SHARED,
            expectation__in=[item.expectation for item in result.items],
        )
        .order_by("observed_on", "id")
    )
    listed = {}
    for evidence in shared:
        listed.setdefault(evidence.expectation_id, []).append(
            {
                "observed_on": _iso(evidence.observed_on),
                "description": evidence.description,
                "kind": evidence.kind,
                "link": evidence.link,
            }
        )
    review = (
        Review.objects.filter(
            employee=employee,
            target_level=level,
            status__in=[Review.Status.SHARED, Review.Status.ACKNOWLEDGED],
        )
        .order_by("-created_at", "-id")
        .first()
    )
    since = employee.level_since
    code, label = result.badge
    return {
        "taken_at": timezone.now().isoformat(),
        "level": level.name,
        "from_level": employee.level.name,
        "track": nomination.target_track.name,
        "manager": employee.manager.full_name if employee.manager else "",
        "level_since": _iso(since),
        "months_in_level": months_between(since, timezone.localdate()),
        "readiness": {
            "code": code,
            "label": label,
            "covered": result.covered,
            "total": result.total,
            "percent": result.percent,
            "first": _iso(result.first),
            "last": _iso(result.last),
            "span_months": result.span[0] if result.span else 0,
            "consistent": result.consistent,
            "span_text": result.span_text,
            "rule": result.rule.text,
        },
        "categories": [
            {"name": c.name, "shown": c.shown, "total": c.total, "percent": c.percent}
            for c in result.by_category()
        ],
        "expectations": [
            {
                "category": item.expectation.category.name,
                "text": item.expectation.text,
                "covered": item.covered,
                "rating": item.rating_label,
                "evidence": listed.get(item.expectation.pk, []),
            }
            for item in result.items
        ],
        "criteria": [
            {"name": s.criterion.name, "count": s.count, "latest": _iso(s.latest)}
            for s in result.criteria
        ],
        "review": (
            {
                "readiness": review.get_readiness_display(),
                "shared_on": _iso(review.shared_at.date() if review.shared_at else None),
                "summary": review.summary,
            }
            if review
            else None
        ),
    }


def months_between(first, last):
    """Whole calendar months from `first` to `last` (0 without a first date)."""
    if first is None:
        return 0
    return readiness_module.months_and_days(first, last)[0] if last >= first else 0


def packet_of(nomination):
    """The frozen packet once nominations have closed, the live one before."""
    return nomination.snapshot if nomination.snapshot is not None else packet(nomination)


# Calibration ---------------------------------------------------------------------------------


def levels_of(round, nominations):
    """The target levels of `nominations` (already narrowed to what the viewer may see),
    each with how many candidates and how many decided: one query."""
    rows = (
        nominations.filter(round=round)
        .values(
            "target_level",
            "target_level__name",
            "target_level__position",
            "target_level__ladder__name",
        )
        .annotate(
            candidates=Count("id"),
            decided=Count("id", filter=~Q(decision="")),
            promoted=Count("id", filter=Q(decision=Nomination.Decision.PROMOTE)),
        )
        .order_by("target_level__ladder__name", "target_level__position")
    )
    return [
        {
            "id": row["target_level"],
            "name": row["target_level__name"],
            "ladder": row["target_level__ladder__name"],
            "candidates": row["candidates"],
            "decided": row["decided"],
            "promoted": row["promoted"],
        }
        for row in rows
    ]


SORTS = {
    "readiness": ("Readiness", lambda row: (-row.percent, not row.consistent, row.name)),
    "span": ("Evidence span", lambda row: (-row.span_months, row.name)),
    "time": ("Time in level", lambda row: (-row.months_in_level, row.name)),
    "name": ("Name", lambda row: (row.name,)),
    "manager": ("Manager", lambda row: (row.manager, row.name)),
}
DECISION_FILTERS = {
    "undecided": "Not decided yet",
    Nomination.Decision.PROMOTE: "Promote",
    Nomination.Decision.NOT_THIS_ROUND: "Not this round",
}


@dataclass
class Candidate:
    """One row of the calibration page, read from the nomination's frozen packet."""

    nomination: object
    packet: dict

    @property
    def name(self):
        return self.nomination.employee.full_name

    @property
    def percent(self):
        return self.packet["readiness"]["percent"]

    @property
    def consistent(self):
        return self.packet["readiness"]["consistent"]

    @property
    def span_months(self):
        return self.packet["readiness"]["span_months"]

    @property
    def months_in_level(self):
        return self.packet["months_in_level"]

    @property
    def manager(self):
        return self.packet["manager"]

    @property
    def badge(self):
        return self.packet["readiness"]["code"]


def candidates(nominations, *, level_id, sort="readiness", badge="", decision="", manager=""):
    """The candidates for one target level, sorted and filtered, each with its packet: two
    queries however many there are (the nominations with their people, and their
    endorsements)."""
    rows = (
        nominations.filter(target_level=level_id)
        .select_related("employee", "nominated_by", "decided_by", "target_level")
        .prefetch_related("endorsements")
    )
    return arrange(
        [Candidate(n, packet_of(n)) for n in rows],
        sort=sort,
        badge=badge,
        decision=decision,
        manager=manager,
    )


def arrange(candidates, *, sort="readiness", badge="", decision="", manager=""):
    """`candidates` (loaded by `candidates`) filtered and sorted, without a query."""
    result = candidates
    if badge:
        result = [row for row in result if row.badge == badge]
    if decision == "undecided":
        result = [row for row in result if not row.nomination.decision]
    elif decision:
        result = [row for row in result if row.nomination.decision == decision]
    if manager:
        result = [row for row in result if row.manager == manager]
    key = SORTS.get(sort, SORTS["readiness"])[1]
    return sorted(result, key=key)


def today():
    """Today in the organisation's time zone: deadlines and effective dates are days."""
    return timezone.localdate()


# Pages ---------------------------------------------------------------------------------------


def with_nomination_counts(rounds, nominations):
    """`rounds`, each with `nomination_count`: how many of `nominations` (already narrowed
    to what the viewer may see) it holds; counted in the same query as the rounds."""
    counts = (
        nominations.filter(round=OuterRef("pk"))
        .order_by()
        .values("round")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return rounds.annotate(nomination_count=Coalesce(Subquery(counts), 0))


def nominations_of(round, nominations):
    """The nominations of `round` among `nominations` (already narrowed to what the viewer
    may see), with the person, the levels and who nominated them: one query."""
    return nominations.filter(round=round).select_related(
        "employee", "target_level", "from_level", "nominated_by__employee"
    )


def nominatable(round, people, *, search=""):
    """The people among `people` (already narrowed to those the viewer may nominate) whom
    `round` covers and who are not nominated in it yet, whose name contains `search`."""
    people = (scope(round) & people).exclude(
        pk__in=Nomination.objects.filter(round=round).values("employee")
    )
    if search:
        people = people.filter(full_name__icontains=search)
    return people.select_related("level", "track", "manager").order_by("full_name", "id")


def committee_of(round):
    """The members of `round`'s committee, with their person for their names: one query."""
    return round.committee.select_related("employee").order_by(
        Lower(Coalesce("employee__full_name", "username")), "pk"
    )


@dataclass
class FinalisePreview:
    """What finalising a round would write, and what stands in the way."""

    promote: list
    not_this_round: list
    undecided: list
    level_changed: list  # promotions whose person's level changed since the nomination
    too_early: bool  # the effective date is still to come

    @property
    def blocked(self):
        return bool(self.undecided or self.level_changed or self.too_early)


def finalise_preview(round):
    """What finalising `round` would do, read the way `services.finalise` reads it: every
    nomination of the round with its person and levels, in one query."""
    nominations = list(
        round.nominations.select_related("employee__level", "from_level", "target_level")
    )
    promote = [n for n in nominations if n.decision == Nomination.Decision.PROMOTE]
    return FinalisePreview(
        promote=promote,
        not_this_round=[n for n in nominations if n.decision == Nomination.Decision.NOT_THIS_ROUND],
        undecided=[n for n in nominations if not n.decision],
        level_changed=[n for n in promote if n.employee.level_id != n.from_level_id],
        too_early=round.effective_on > today(),
    )


# Pages about one person ----------------------------------------------------------------------


def person_nominations(user, employee, *, limit=10):
    """The latest nominations of `employee` that `user` may see (`access`), newest round
    first, with their round and levels: one query."""
    from assessments import access

    visible = access.restrict(Nomination.objects.filter(employee=employee), user, person=employee)
    return list(
        visible.select_related(
            "round", "target_level", "target_track", "from_level", "nominated_by"
        ).order_by("-round__effective_on", "-round__id")[:limit]
    )


def rounds_to_nominate(user, employee):
    """The rounds taking nominations that cover `employee` in which `user` may nominate them
    now (`access.nomination_refusal`) and where they are not nominated yet, soonest deadline
    first: a query or two, and the refusal's per round left to ask."""
    from assessments import access

    rounds = open_rounds_for(employee)
    if not rounds:
        return []
    taken = set(
        Nomination.objects.filter(employee=employee, round__in=rounds).values_list(
            "round", flat=True
        )
    )
    return [
        round
        for round in rounds
        if round.pk not in taken and access.nomination_refusal(user, round, employee) is None
    ]


def _date(text):
    import datetime

    return datetime.date.fromisoformat(text) if text else None


def readable_packet(packet):
    """`packet` (as `packet` makes it, frozen or live) for a page: a copy with its dates as
    dates and its expectations grouped by category, each group with its coverage. No
    query."""
    import datetime

    readiness = dict(packet["readiness"], first=_date(packet["readiness"]["first"]))
    readiness["last"] = _date(packet["readiness"]["last"])
    progress = {category["name"]: category for category in packet["categories"]}
    groups = []
    for item in packet["expectations"]:
        if not groups or groups[-1]["name"] != item["category"]:
            groups.append(
                {
                    "name": item["category"],
                    "progress": progress.get(item["category"]),
                    "expectations": [],
                }
            )
        evidence = [dict(e, observed_on=_date(e["observed_on"])) for e in item["evidence"]]
        groups[-1]["expectations"].append(dict(item, evidence=evidence))
    review = packet["review"]
    return dict(
        packet,
        taken_at=datetime.datetime.fromisoformat(packet["taken_at"]),
        level_since=_date(packet["level_since"]),
        readiness=readiness,
        groups=groups,
        criteria=[dict(c, latest=_date(c["latest"])) for c in packet["criteria"]],
        review=dict(review, shared_on=_date(review["shared_on"])) if review else None,
    )


def person_name(user):
    """How a user is named on the pages: their person's name, else the name on their
    sign-in, else their username (load `employee` with the user to spare a query)."""
    employee = getattr(user, "employee", None)
    return employee.full_name if employee is not None else made_by(user, nobody="")

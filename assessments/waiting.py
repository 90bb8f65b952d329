"""
What waits for the signed-in person, for the navigation: wins to confirm, reviews to
acknowledge, drafts to finish and rounds taking nominations. Every page draws the
navigation, so every count comes from one SELECT of scalar subqueries, made only when the
navigation asks for a count (`Waiting` is read lazily by the context processor).

What counts as waiting for someone:
- wins to confirm: pending wins of anyone below them in the reporting tree, the list the
  team page offers them to confirm (HR may decide anyone's wins, but the people's own
  managers are the ones waited on);
- reviews to acknowledge: shared reviews of themselves they have not acknowledged;
- drafts to finish: level reviews they are writing of someone they still manage (rounds
  keep no draft nominations: a nomination is made whole);
- nominations due: rounds taking nominations, deadline not passed, that cover someone
  below them in the tree who is not nominated in it yet (as for wins, HR's right to
  nominate anyone is not a queue).
"""

from dataclasses import asdict, dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from pmladder import kept
from rounds.models import Nomination, Round

from . import access
from .evidence import pending_wins_for_manager
from .models import Employee, Review
from .selectors import below_q, employee_of


@dataclass
class Item:
    """One kind of thing waiting: how many, what they are (the full words, for screen
    readers and the phone menu), a short visible label and where they are dealt with."""

    key: str
    count: int
    words: str
    short: str
    url: str

    @property
    def badge(self):
        """The count as the badge shows it: "99+" past `COUNTED_UP_TO` - 1."""
        return shown(self.count)

    @property
    def label(self):
        """The words without the count, shown beside the count's badge in the phone menu."""
        return self.words.partition(" ")[2]


@dataclass
class Waiting:
    """The counts of what waits for someone, with the id of the one review, draft or round
    when there is exactly one (the link then leads straight to it)."""

    wins: int = 0
    to_acknowledge: int = 0
    to_acknowledge_id: int | None = None
    drafts: int = 0
    draft_id: int | None = None
    rounds: int = 0
    round_id: int | None = None
    sees_rounds: bool | None = None  # asked in the same query for the navigation

    @property
    def total(self):
        return self.wins + self.to_acknowledge + self.drafts + self.rounds

    @property
    def items(self):
        """The non-zero counts, in the order the navigation shows them."""
        found = []
        if self.wins:
            found.append(
                Item(
                    "wins",
                    self.wins,
                    _plural(shown(self.wins), "win to confirm", "wins to confirm"),
                    "to confirm",
                    reverse("assessments:team") + "#pending-heading",
                )
            )
        if self.to_acknowledge:
            found.append(
                Item(
                    "acknowledge",
                    self.to_acknowledge,
                    _plural(self.to_acknowledge, "review to acknowledge", "reviews to acknowledge"),
                    "to acknowledge",
                    _one_or_many(
                        self.to_acknowledge,
                        self.to_acknowledge_id,
                        "assessments:review",
                        reverse("assessments:me") + "#waiting-reviews",
                    ),
                )
            )
        if self.drafts:
            found.append(
                Item(
                    "drafts",
                    self.drafts,
                    _plural(self.drafts, "draft review to finish", "draft reviews to finish"),
                    "draft" if self.drafts == 1 else "drafts",
                    _one_or_many(
                        self.drafts,
                        self.draft_id,
                        "assessments:review",
                        reverse("assessments:me") + "#drafts-heading",
                    ),
                )
            )
        if self.rounds:
            found.append(
                Item(
                    "rounds",
                    self.rounds,
                    _plural(
                        self.rounds,
                        "round taking your nominations",
                        "rounds taking your nominations",
                    ),
                    "round open" if self.rounds == 1 else "rounds open",
                    _one_or_many(
                        self.rounds, self.round_id, "rounds:round", reverse("rounds:list")
                    ),
                )
            )
        return found

    @property
    def summary(self):
        """The total in words, for the phone menu's button."""
        return _plural(shown(self.total), "thing waits for you", "things wait for you")


def _plural(count, one, many):
    return f"{count} {one if count == 1 else many}"


# Wins to confirm are counted up to this many (a manager high in a large organisation may
# have thousands below them): the navigation says "99+" past it, and the count stops
# reading rows there.
COUNTED_UP_TO = 100
# The wins the team page lists, at most.
LISTED_WINS = 50


def shown(count):
    """A count as the navigation writes it: "99+" for `COUNTED_UP_TO` and more."""
    return f"{COUNTED_UP_TO - 1}+" if count >= COUNTED_UP_TO else count


def _one_or_many(count, first_id, name, many_url):
    return reverse(name, kwargs={"pk": first_id}) if count == 1 and first_id else many_url


# The query -----------------------------------------------------------------------------------


def _count_up_to(queryset, limit):
    """`queryset`'s row count, up to `limit`, as a scalar subquery: the rows are read
    until `limit` of them are found, never all of them (no GROUP BY: one row, whatever
    the table holds)."""
    queryset = queryset.select_related(None).order_by()
    first = queryset.model._base_manager.filter(pk__in=queryset.values("pk")[:limit]).order_by()
    return Subquery(first.annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1])


# A count and the smallest id, packed in one number: a subquery fewer for each kind.
_PACK = 2**32


def _count_and_first(queryset):
    """`queryset`'s row count and smallest id in one scalar subquery, as count * _PACK +
    id (`_unpack` reads them back)."""
    queryset = queryset.select_related(None).order_by()
    packed = ExpressionWrapper(
        # Typed as big integers: PostgreSQL would take a plain integer parameter as 32-bit.
        Func(F("pk"), function="COUNT", output_field=BigIntegerField())
        * Value(_PACK, output_field=BigIntegerField())
        + Coalesce(Func(F("pk"), function="MIN", output_field=BigIntegerField()), Value(0)),
        output_field=BigIntegerField(),
    )
    return Subquery(queryset.annotate(packed=packed).values("packed")[:1])


def _unpack(value):
    """(count, smallest id or None) from what `_count_and_first` gave."""
    count, first = divmod(value or 0, _PACK)
    return count, first or None


def to_acknowledge(user):
    """Shared reviews of `user` waiting for their acknowledgement."""
    return access.restrict(
        Review.objects.filter(status=Review.Status.SHARED), user, access.ACKNOWLEDGE
    )


def drafts(user):
    """The draft reviews `user` is writing, of people they still manage."""
    return access.restrict(Review.objects.filter(status=Review.Status.DRAFT), user, access.CHANGE)


def rounds_to_nominate_in(me):
    """Rounds taking nominations, before their deadline, that cover someone below `me` in
    the tree who is not nominated in them yet (the scope of `rounds.selectors.scope`,
    read against each round in the database)."""
    round_ladders = Round.ladders.through.objects.filter(round_id=OuterRef(OuterRef("pk")))
    candidates = Employee.objects.filter(
        below_q(me),
        Q(ladder__in=round_ladders.values("ladder_id")) | ~Exists(round_ladders),
        path__startswith=OuterRef("root_path"),
        is_active=True,
    ).exclude(pk=OuterRef("root_id"))
    candidates = candidates.exclude(
        Exists(
            Nomination.objects.filter(round_id=OuterRef(OuterRef("pk")), employee=OuterRef("pk"))
        )
    )
    return (
        Round.objects.filter(
            state=Round.State.NOMINATING, nomination_deadline__gte=timezone.localdate()
        )
        .annotate(
            # Everyone when the round names no part of the organisation; nobody below a
            # root that was never placed in the tree.
            root_path=Case(
                When(org_root__isnull=True, then=Value("")),
                When(org_root__path="", then=Value("-")),
                default=F("org_root__path"),
                output_field=CharField(),
            ),
            root_id=Case(
                When(org_root__isnull=True, then=Value(0)),
                default=F("org_root_id"),
                output_field=IntegerField(),
            ),
        )
        .filter(Exists(candidates))
    )


def waiting_for(user, *, ask_rounds=False):
    """What waits for `user` (see the module's docstring): one query, none for a sign-in
    with nothing that could wait (no place on a ladder, not HR). With `ask_rounds`, also
    whether they may see any round (`sees_rounds`), in the same query."""
    me = employee_of(user)
    if not user.is_authenticated or (me is None and not access.is_hr(user)):
        return Waiting(sees_rounds=False if ask_rounds else None)
    # Wins, drafts and nominations wait only for someone who manages people (a draft is
    # of someone they still manage): most sign-ins, who manage nobody, skip those counts.
    manages = access.is_hr(user) or (me is not None and me.has_reports)
    values = {}
    if manages:
        values["drafts"] = _count_and_first(drafts(user))
    if me is not None:
        values["to_acknowledge"] = _count_and_first(to_acknowledge(user))
    if me is not None and me.has_reports:
        values.update(
            wins=_count_up_to(pending_wins_for_manager(me), COUNTED_UP_TO),
            rounds=_count_and_first(rounds_to_nominate_in(me)),
        )
    if ask_rounds:
        values["sees_rounds"] = Exists(access.restrict(Round.objects.all(), user, access.VIEW))
    row = get_user_model().objects.filter(pk=user.pk).values(**values).first() or {}
    found = {name: value for name, value in row.items() if value is not None}
    for name, first in (
        ("drafts", "draft_id"),
        ("to_acknowledge", "to_acknowledge_id"),
        ("rounds", "round_id"),
    ):
        if name in found:
            found[name], found[first] = _unpack(found[name])
    return Waiting(**found)


# Kept a minute -------------------------------------------------------------------------------


def kept_for(user, *, ask_rounds=False, listed=None):
    """`waiting_for(user)`, kept for `NAVIGATION_COUNTS_SECONDS` (`pmladder.kept`): every
    page draws the navigation, and its query takes longer to build than most pages' own.
    Counted again after that time, on a new day, and after any change the person makes
    themselves, so what they just did shows at once; what others did shows within that
    time. `listed`: the counts a page lists itself (fields of `Waiting`, from `listed_*`),
    which replace the kept ones so that the page and its navigation agree, and are kept
    from then on when they differ (an unchanged count costs no write)."""
    seconds = settings.NAVIGATION_COUNTS_SECONDS
    if seconds <= 0:
        found = waiting_for(user, ask_rounds=ask_rounds)
        return replace(found, **listed) if listed else found
    key = f"waiting:{user.pk}:{timezone.localdate().isoformat()}:{int(ask_rounds)}"
    counts, _ = kept.read(key, user)
    found = _kept_waiting(counts) or waiting_for(user, ask_rounds=ask_rounds)
    if listed:
        found = replace(found, **listed)
    if asdict(found) != counts:
        kept.keep(key, asdict(found), seconds)
    return found


def _kept_waiting(counts):
    """The `Waiting` kept as `counts`, or None: nothing kept, or kept by a release that
    counted other things (counted again)."""
    if not isinstance(counts, dict):
        return None
    try:
        return Waiting(**counts)
    except TypeError:
        return None


def listed_reviews(reviews, field):
    """The count of `reviews` (a list a page shows whole) and their smallest id, as
    `Waiting`'s `field` (to_acknowledge or drafts) and its id hold them."""
    ids = [review.pk for review in reviews]
    return {field: len(ids), _FIRST[field]: min(ids) if ids else None}


_FIRST = {"to_acknowledge": "to_acknowledge_id", "drafts": "draft_id"}


def wins_to_list(me):
    """The first `LISTED_WINS` wins below `me`, for a page to list, each carrying
    `wins_counted`: all of them, counted up to `COUNTED_UP_TO` as the navigation counts
    them, in the same query (one query however many wait)."""
    wins = pending_wins_for_manager(me)
    counted = _count_up_to(wins, COUNTED_UP_TO)
    return list(wins.annotate(wins_counted=counted)[:LISTED_WINS])


def listed_wins(listed):
    """`Waiting.wins` from `listed`, what `wins_to_list` gave."""
    return {"wins": listed[0].wins_counted if listed else 0}

"""What the navigation bar needs to know about the signed-in user. Every page draws it, so
whatever costs a query is read lazily, when the navigation asks, and all of it in one
query (`waiting.waiting_for`), kept a short while (`waiting.kept_for`)."""

from django.utils.functional import SimpleLazyObject

from . import access, selectors, waiting


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    manager = access.is_manager(user)
    # Whether the navigation offers promotion rounds: to HR and managers (no query: the
    # navigation knows already), and to people on a ladder who may see a round, as its
    # committee or to put themselves forward (asked with the counts). Committees are drawn
    # from HR and managers, so a sign-in with no place on a ladder needs no query.
    counts = SimpleLazyObject(lambda: _waiting(user, ask_rounds=_asks_rounds(user)))
    return {
        "nav_employee": selectors.employee_of(user),
        "nav_team": manager,
        "nav_rounds": True if manager else SimpleLazyObject(lambda: bool(counts.sees_rounds)),
        "nav_waiting": counts,
    }


def _asks_rounds(user):
    return not access.is_manager(user)


def agree_with_listed(request, **listed):
    """For a page that lists some of what waits itself (the team page's wins, `/me/`'s
    reviews and drafts): the navigation's counts with those the page lists taken from its
    lists (`waiting.listed_*`), so the two agree."""
    user = request.user
    user._waiting = waiting.kept_for(user, ask_rounds=_asks_rounds(user), listed=listed)


def _waiting(user, *, ask_rounds):
    """What waits for `user`, read once per request (the user object lives as long)."""
    if not hasattr(user, "_waiting"):
        user._waiting = waiting.kept_for(user, ask_rounds=ask_rounds)
    return user._waiting

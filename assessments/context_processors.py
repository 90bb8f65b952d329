"""What the navigation bar needs to know about the signed-in user. Every page draws it, so
whatever costs a query is read lazily, when the navigation asks, and all of it in one
query (`waiting.waiting_for`), kept a short while in the session (`waiting.kept_for`)."""

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
    counts = SimpleLazyObject(lambda: _waiting(request, user, ask_rounds=not manager))
    return {
        "nav_employee": selectors.employee_of(user),
        "nav_team": manager,
        "nav_rounds": True if manager else SimpleLazyObject(lambda: bool(counts.sees_rounds)),
        "nav_waiting": counts,
    }


def _waiting(request, user, *, ask_rounds):
    """What waits for `user`, read once per request (the user object lives as long)."""
    if not hasattr(user, "_waiting"):
        user._waiting = waiting.kept_for(request, user, ask_rounds=ask_rounds)
    return user._waiting

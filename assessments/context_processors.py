from django.utils.functional import SimpleLazyObject

from rounds.models import Round

from . import access, selectors


def navigation(request):
    """What the navigation bar needs to know about the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_employee": selectors.employee_of(user),
        "nav_team": access.is_manager(user),
        "nav_rounds": SimpleLazyObject(lambda: _sees_rounds(user)),
    }


def _sees_rounds(user):
    """Whether the navigation offers promotion rounds: to HR and managers (no query: the
    navigation knows already), and to people on a ladder who may see a round, as its
    committee or to put themselves forward (one query, made only when the page shows the
    navigation). Committees are drawn from HR and managers, so a sign-in with no place on
    a ladder needs no query."""
    if access.is_manager(user):
        return True
    if selectors.employee_of(user) is None:
        return False
    return access.restrict(Round.objects.all(), user, access.VIEW).exists()

from . import access, selectors


def navigation(request):
    """What the navigation bar needs to know about the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_employee": selectors.employee_of(user),
        "nav_team": access.is_manager(user),
    }

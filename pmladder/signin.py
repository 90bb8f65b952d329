"""
Sign-in throttling, on top of django-axes.

Failed sign-ins are counted per username from one client address (`LOGIN_FAILURE_LIMIT`,
so nobody elsewhere can lock someone's account) and per client address over all usernames
(`LOGIN_ADDRESS_FAILURE_LIMIT`, higher, so password spraying from one address stops while
an office behind one address survives a few typos). Reaching either pauses sign-in for
`LOGIN_COOLOFF_MINUTES`; failures during the pause are refused without being counted, so
the pause ends on time. The address is `pmladder.throttle.client_address`.

Every failed sign-in is logged on `pmladder.access` with the username given (never the
password), and so is every pause.
"""

import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from .throttle import client_address

logger = logging.getLogger("pmladder.access")

# The widest username axes can store; anything longer is cut before it is counted.
USERNAME_MAX_LENGTH = AccessAttempt._meta.get_field("username").max_length


def username_for_attempts(request, credentials=None):
    """The username axes counts a sign-in against (AXES_USERNAME_CALLABLE): the one given,
    as its tables can hold it, whatever path the sign-in came by."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    elif request is not None:
        username = getattr(request, "data", request.POST).get(field)
    else:
        username = None
    if username is None:
        return None
    return str(username).replace("\x00", "")[:USERNAME_MAX_LENGTH]


class SignInAttempts(AxesDatabaseHandler):
    """Axes's database handler, also pausing an address once its failures over all
    usernames reach `LOGIN_ADDRESS_FAILURE_LIMIT`."""

    def get_failures(self, request, credentials=None):
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def address_failures(request):
    """Failed sign-ins from the request's address within the cool-off period."""
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0


def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Receiver of `user_login_failed`: who tried, from where."""
    username = username_for_attempts(request, credentials)
    address = client_address(request) if request is not None else None
    logger.warning("Failed sign-in for username %r from %s", username, address or "-")


def log_paused_sign_in(sender, request=None, username=None, ip_address=None, **kwargs):
    """Receiver of axes's `user_locked_out`, sent when sign-in pauses and for every attempt
    refused while it is paused."""
    logger.warning(
        "Sign-in refused for username %r from %s: paused after too many failures",
        username,
        ip_address or "-",
    )

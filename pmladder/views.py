"""Project-wide views: the home redirect, sign-in and password-reset pages, the health check
and the error pages."""

import logging
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views import defaults
from django.views.decorators.cache import never_cache

from assessments.forms import SetPasswordEmailForm
from assessments.selectors import employee_of
from sso.rules import REFUSED as PASSWORD_SIGN_IN_OFF
from sso.rules import password_allowed_for
from sso.views import provider_sign_out_url

from .database import is_unavailable
from .middleware import note_refusal
from .throttle import allow, client_address

logger = logging.getLogger(__name__)


def home(request):
    """Employees start on their own page; everyone else on the ladders."""
    if employee_of(request.user) is not None:
        return redirect("assessments:me")
    return redirect("levels:ladders")


def locked_out(request, response=None, credentials=None, *args, **kwargs):
    """The page shown while sign-in is paused after too many failures."""
    note_refusal(request, "sign-in paused after too many failures")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)


class SignOutView(auth_views.LogoutView):
    """Django's sign-out, saying so afterwards; it ends the session here, and with
    SSO_LOGOUT_AT_PROVIDER also at the provider the session signed in with (sso)."""

    def post(self, request, *args, **kwargs):
        at_provider = provider_sign_out_url(request)  # before the session ends
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return redirect(at_provider) if at_provider else response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per client address and per email address within
    `PASSWORD_RESET_LIMIT_SECONDS`, so nobody can flood an inbox or probe many addresses.
    Limits count what was asked for, whether or not an account has that address, so the
    answer never tells which addresses exist."""

    form_class = SetPasswordEmailForm

    def form_valid(self, form):
        period = settings.PASSWORD_RESET_LIMIT_SECONDS
        address = client_address(self.request) or "unknown"
        email = form.cleaned_data["email"].strip().casefold()
        if not (
            allow(
                "password-reset-address",
                address,
                limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
                period=period,
            )
            and allow(
                "password-reset-email",
                email,
                limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
                period=period,
            )
        ):
            note_refusal(self.request, "too many password-reset requests")
            minutes = max(1, period // 60)
            return render(
                self.request,
                "registration/password_reset_limited.html",
                {"minutes": minutes},
                status=429,
            )
        return super().form_valid(form)


def password_sign_in_off(request):
    """The page for a password page refused because password sign-in is off (sso.rules)."""
    note_refusal(request, "password sign-in is off")
    return render(
        request,
        "registration/password_sign_in_off.html",
        {"message": PASSWORD_SIGN_IN_OFF},
        status=403,
    )


@method_decorator(login_not_required, name="dispatch")  # kept: this dispatch replaces Django's
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page behind a password link (also the people import's invitation), refused
    while password sign-in is off, unless the link is for a break-glass account."""

    def dispatch(self, request, *args, **kwargs):
        user = self.get_user(kwargs["uidb64"])
        if user is not None and not password_allowed_for(user.get_username()):
            return password_sign_in_off(request)
        return super().dispatch(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, refused while password sign-in is off, unless for a
    break-glass account."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not password_allowed_for(request.user.get_username()):
            return password_sign_in_off(request)
        return super().dispatch(request, *args, **kwargs)


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's)."""
    return redirect(static("img/favicon.svg"), permanent=True)


def _one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


def _logged(response):
    """Mark `response` as logged already, so Django does not add its own line for it."""
    response._has_been_logged = True
    return response


@login_not_required
@never_cache
def healthz(request):
    """200 when the database answers a query, 503 when it does not (within the database
    timeouts, see DATABASES). A failed probe is logged in one line."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("Health check failed: the database did not answer: %s", _one_line(error))
        return _logged(
            HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        )
    return HttpResponse("ok\n", content_type="text/plain")


def database_unavailable(request, error):
    """The 503 page for a database that is down or too slow. Rendered without the request,
    so nothing on the way (context processors, the signed-in user) touches the database."""
    logger.error(
        "Database unavailable for %s %s: %s", request.method, request.path, _one_line(error)
    )
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return _logged(response)


def server_error(request):
    """The error page (handler500). Every uncaught exception ends here, also those raised
    in middleware before any view runs, such as loading the session: when the database is
    unavailable the answer is the 503 page, otherwise Django's 500 page."""
    error = sys.exc_info()[1]
    if is_unavailable(error):
        return database_unavailable(request, error)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """A form refused by the CSRF check (CSRF_FAILURE_VIEW): usually a page left open
    across a sign-out or a server restart, sometimes a forged request."""
    note_refusal(request, f"CSRF check failed: {reason}")
    message = (
        "This form could not be accepted: it was opened before a sign-in or sign-out, or "
        "came from another site. Go back, reload the page and try again."
    )
    return render(request, "403.html", {"exception": message, "csrf_failure": True}, status=403)

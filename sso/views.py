"""
The sign-on flow: `start` sends the browser to the provider, `callback` takes its answer,
finds the account (`sso.services`) and signs it in. Anything that goes wrong, at the
provider, on the way or in matching, ends on a page that says what happened and what to
do, never on an error page.
"""

import logging

from authlib.integrations.base_client import OAuthError
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from joserfc.errors import JoseError
from requests import RequestException

from pmladder.middleware import note_refusal

from .clients import client_for
from .services import REASONS, SignInRefused, user_for_identity

logger = logging.getLogger(__name__)

NEXT_KEY = "sso_next"
SIGNED_IN_WITH_KEY = "sso_provider"
ID_TOKEN_KEY = "sso_id_token"
BACKEND = "django.contrib.auth.backends.ModelBackend"
# What the provider-error page says went wrong.
PROBLEMS = {
    "denied": "The sign-in was cancelled or refused at your organisation's sign-in page.",
    "expired": (
        "This sign-in could not be finished: it was started in another tab or window, "
        "took too long, or was already used."
    ),
    "provider": "Your organisation's sign-in could not be reached or gave an answer we cannot use.",
}


def _client_or_404(provider):
    client = client_for(provider)
    if client is None:
        raise Http404("No such sign-in provider.")
    return client


def _safe_next(request, value):
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def start(request, provider):
    """Send the browser to `provider`'s sign-in, remembering where to go afterwards."""
    client = _client_or_404(provider)
    data = request.POST if request.method == "POST" else request.GET
    request.session[NEXT_KEY] = _safe_next(request, data.get(REDIRECT_FIELD_NAME, ""))
    callback = request.build_absolute_uri(reverse("sso:callback", args=[provider]))
    try:
        return client.authorize_redirect(request, callback)
    except (OAuthError, JoseError, RequestException, ValueError) as error:
        return _problem(request, provider, "provider", error)


@login_not_required
@never_cache
@require_GET
def callback(request, provider):
    """The provider's answer: sign in the matching account, or say why not."""
    client = _client_or_404(provider)
    config = settings.SSO_PROVIDERS[provider]
    if request.GET.get("error"):
        kind = "denied" if request.GET["error"] == "access_denied" else "provider"
        return _problem(request, provider, kind, request.GET["error"])
    if not request.GET.get("state") or not request.GET.get("code"):
        return _problem(request, provider, "expired", "no state or code")
    try:
        token = client.authorize_access_token(request)
        if client.load_server_metadata().get("issuer", "").rstrip("/") != config["issuer"]:
            raise OAuthError(description="the discovery document names another issuer")
        claims = token.get("userinfo")
        if not claims:
            raise OAuthError(description="no ID token")
        if "email" not in claims:  # some providers send it from userinfo only
            more = client.userinfo(token=token)
            if more.get("sub") != claims.get("sub"):
                raise OAuthError(description="userinfo is about someone else")
            claims = {**more, **claims}
    except OAuthError as error:
        kind = "expired" if error.error == "mismatching_state" else "provider"
        return _problem(request, provider, kind, error)
    except (JoseError, RequestException, ValueError, KeyError) as error:
        return _problem(request, provider, "provider", error)
    try:
        user = user_for_identity(
            claims=claims,
            trust_email=config["trust_email"],
            create_sign_in=settings.SSO_CREATE_SIGN_IN,
        )
    except SignInRefused as refusal:
        note_refusal(request, f"single sign-on refused ({refusal.reason}) for {refusal.email!r}")
        return render(
            request,
            "sso/refused.html",
            {
                "reason": REASONS[refusal.reason],
                "code": refusal.reason,
                "email": refusal.email,
                "label": config["label"],
            },
            status=403,
        )
    next_url = request.session.pop(NEXT_KEY, "")
    login(request, user, backend=BACKEND)
    # For signing out at the provider too (provider_sign_out_url), when that is on.
    request.session[SIGNED_IN_WITH_KEY] = provider
    if settings.SSO_LOGOUT_AT_PROVIDER:
        request.session[ID_TOKEN_KEY] = token.get("id_token", "")
    return redirect(_safe_next(request, next_url) or settings.LOGIN_REDIRECT_URL)


def _problem(request, provider, kind, error):
    logger.warning("Single sign-on with %s failed (%s): %s", provider, kind, error)
    note_refusal(request, f"single sign-on with {provider} failed: {kind}")
    return render(
        request,
        "sso/problem.html",
        {"problem": PROBLEMS[kind], "label": settings.SSO_PROVIDERS[provider]["label"]},
        status={"denied": 403, "expired": 400, "provider": 502}[kind],
    )


def provider_sign_out_url(request):
    """Where to send the browser after signing out here, to sign out at the provider too
    (OpenID Connect RP-initiated logout): only with SSO_LOGOUT_AT_PROVIDER, for a session
    that signed in with a provider advertising an `end_session_endpoint`. It sends the
    browser back to the sign-in page. None otherwise. Read it before the session ends."""
    provider = request.session.get(SIGNED_IN_WITH_KEY)
    if not settings.SSO_LOGOUT_AT_PROVIDER or not provider:
        return None
    client = client_for(provider)
    if client is None:
        return None
    try:
        endpoint = client.load_server_metadata().get("end_session_endpoint")
    except (OAuthError, RequestException, ValueError) as error:
        logger.warning("Could not read %s's sign-out address: %s", provider, error)
        return None
    if not endpoint:
        return None
    query = {
        "client_id": settings.SSO_PROVIDERS[provider]["client_id"],
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }
    if request.session.get(ID_TOKEN_KEY):
        query["id_token_hint"] = request.session[ID_TOKEN_KEY]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

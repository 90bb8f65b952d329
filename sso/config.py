"""
Single sign-on providers read from the environment (called by `pmladder.settings`, so
nothing here imports Django's models).

`SSO_PROVIDERS=okta,entra` names the providers, in the order the sign-in page shows them;
each then needs `SSO_<NAME>_ISSUER`, `SSO_<NAME>_CLIENT_ID` and `SSO_<NAME>_CLIENT_SECRET`,
and may set `SSO_<NAME>_LABEL` (the button's text) and `SSO_<NAME>_TRUST_EMAIL` (the
provider's emails count as verified even without an `email_verified` claim). A missing or
malformed value stops the app at start with ImproperlyConfigured.
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# A provider's name is part of its addresses (/accounts/sso/<name>/) and of its variables.
NAME = re.compile(r"^[a-z][a-z0-9]{0,29}$")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def providers_from_environment(environ):
    """{name: {"issuer", "client_id", "client_secret", "label", "trust_email"}} from
    `environ`, in the order of SSO_PROVIDERS."""
    names = [name.strip() for name in environ.get("SSO_PROVIDERS", "").split(",") if name.strip()]
    providers = {}
    for name in names:
        if not NAME.match(name):
            raise ImproperlyConfigured(
                f"SSO_PROVIDERS: {name!r} is not a usable provider name; use lower-case "
                "letters and digits, starting with a letter (e.g. okta, entra, keycloak)."
            )
        if name in providers:
            raise ImproperlyConfigured(f"SSO_PROVIDERS names {name!r} twice.")
        prefix = f"SSO_{name.upper()}_"

        def required(key, prefix=prefix, name=name):
            value = environ.get(prefix + key, "").strip()
            if not value:
                raise ImproperlyConfigured(
                    f"{prefix}{key} must be set, as SSO_PROVIDERS names {name!r}."
                )
            return value

        issuer = required("ISSUER").rstrip("/")
        parts = urlsplit(issuer)
        if not parts.netloc or not (
            parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
        ):
            raise ImproperlyConfigured(
                f"{prefix}ISSUER must be the provider's https:// issuer address, not {issuer!r}."
            )
        trust = environ.get(prefix + "TRUST_EMAIL", "").strip().lower()
        if trust not in TRUE | FALSE:
            raise ImproperlyConfigured(f"{prefix}TRUST_EMAIL must be a yes/no value (1/0).")
        providers[name] = {
            "issuer": issuer,
            "client_id": required("CLIENT_ID"),
            "client_secret": required("CLIENT_SECRET"),
            "label": environ.get(prefix + "LABEL", "").strip() or f"Sign in with {name.title()}",
            "trust_email": trust in TRUE,
        }
    return providers


def check_sign_in_possible(providers, password_sign_in):
    """Refuse a configuration in which nobody could sign in."""
    if not password_sign_in and not providers:
        raise ImproperlyConfigured(
            "PASSWORD_SIGN_IN is off but SSO_PROVIDERS names no provider: nobody could sign in."
        )

"""
Settings for PM Ladder, read from environment variables.

Development: `DEBUG=1` is enough. Production: set `SECRET_KEY`, `ALLOWED_HOSTS` and
`DATABASE_URL` at least; `manage.py check --deploy` should then be clean. See the README.
"""

import copy
import datetime
import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from pmladder.database import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a yes/no value (1/0, true/false), not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name, default=()):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# manage.py commands that work offline and sign nothing that outlives them may run
# without a SECRET_KEY (with a throwaway one), so `manage.py makemigrations --check` and
# friends work in a fresh checkout; serving and everything else still needs the real key.
OFFLINE_COMMANDS = {
    "makemigrations",
    "migrate",
    "showmigrations",
    "sqlmigrate",
    "collectstatic",
    "import_ladder",
    "export_ladder",
    "load_default_ladder",
    "check_ladder",
}
_command = sys.argv[1] if len(sys.argv) > 1 and sys.argv[0].endswith("manage.py") else None

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"
    elif _command in OFFLINE_COMMANDS:
        SECRET_KEY = secrets.token_urlsafe(50)
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "pmladder.apps.PMLadderAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # index operator classes (search indexes); inert on SQLite
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "simple_history",
    "levels",
    "assessments",
    "rounds",
    "insights",
    "django_tasks_db",
    "jobs",
    "sso",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that may refuse a request (CSRF, sign-in, axes), to log each refusal.
    "pmladder.middleware.RefusalLogMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their caching.
    "pmladder.middleware.PrivatePagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Notes each person's changes: what was kept before them is counted again (pmladder.kept).
    "pmladder.kept.remember_changes",
    # Lets ladder history record who made each change (levels.history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and refuses more after AXES_FAILURE_LIMIT (see below).
    "axes.backends.AxesStandaloneBackend",
    # Refuses passwords while PASSWORD_SIGN_IN is off, but for break-glass accounts (sso).
    "sso.backends.PasswordSignInGuard",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "pmladder.urls"
WSGI_APPLICATION = "pmladder.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assessments.context_processors.navigation",
            ],
        },
    },
]

# SQLite file by default; PostgreSQL (psycopg 3) with DATABASE_URL=postgres://user@host/name.
# A new connection waits at most DB_CONNECT_TIMEOUT seconds and a statement runs at most
# DB_STATEMENT_TIMEOUT seconds (pmladder.database), so a database that hangs turns into a
# quick 503 page. manage.py commands other than runserver (migrations above all) are run by
# someone watching them and have no statement limit.
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 15)
DATABASES = {
    "default": database_settings(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        connect_timeout=DB_CONNECT_TIMEOUT,
        statement_timeout=DB_STATEMENT_TIMEOUT if _command in {None, "runserver"} else 0,
        prepared_statements=env_bool("DB_PREPARED_STATEMENTS", True),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take the database's lock when their transaction starts, not at their first
    # write, so check-then-write work (pmladder.locks) is serialised and never deadlocks.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
else:
    # Background tasks write their progress on a connection of their own to the same
    # database (jobs.runner.Progress), so that a task's page sees an import move while
    # the import's one transaction is still open. Only on PostgreSQL: on SQLite a second
    # writer would wait for the import's write lock, so progress is written on the
    # import's own connection there and is seen when it commits. In tests the alias
    # points at the test database (Django's TEST MIRROR); tests write progress on the
    # default connection, as a test's transaction is invisible to a second one, except
    # the test of this connection, which turns it on.
    DATABASES["progress"] = {**copy.deepcopy(DATABASES["default"]), "TEST": {"MIRROR": "default"}}
JOBS_PROGRESS_DATABASE = "progress" if "progress" in DATABASES and not TESTING else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_settings(url):
    """The default cache from `CACHE_URL`: by default each process's own memory; with
    `redis://host:6379/0` (or `rediss://` for TLS) a Redis server shared by every app
    server, through Django's RedisCache (which needs the `redis` package installed). It
    keeps what many pages read and rarely changes, such as each ladder's structure
    (`levels.structure`), which stays right with either: its keys change with the ladder."""
    if not url or url == "locmem://":
        # Room for the structure of a few large ladders (an entry per level and comparison).
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    if url.startswith(("redis://", "rediss://")):
        from importlib.util import find_spec

        if find_spec("redis") is None:
            raise ImproperlyConfigured(
                "CACHE_URL names a Redis server, which needs the redis package: pip install redis"
            )
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(
        f"CACHE_URL must be empty, locmem:// or a redis:// or rediss:// address, not {url!r}."
    )


CACHES = {
    "default": cache_settings(env("CACHE_URL")),
    # Counts shared by every app server (pmladder.throttle), in a table that `migrate`
    # creates. Entries expire within the hour; the cap is far above that volume, so an
    # attacker cannot make the cache drop counts.
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "pmladder_throttle",
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    },
    # What pages keep a short while (pmladder.kept): the navigation's counts, a large
    # view's organisation figures, when each person last changed something. In a table
    # that `migrate` creates, so every app server reads the same ones.
    "kept": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "pmladder_kept",
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    },
}
# The navigation's counts of what waits for someone are kept this many seconds (0: counted
# on every page); anything they change themselves shows at once.
NAVIGATION_COUNTS_SECONDS = env_int("NAVIGATION_COUNTS_SECONDS", 60)
# A view of `/org/` covering at least this many people keeps its figures this many
# seconds: counting them takes a moment at that size, and they move slowly.
ORG_FIGURES_KEPT_FROM = env_int("ORG_FIGURES_KEPT_FROM", 1000)
ORG_FIGURES_KEPT_SECONDS = env_int("ORG_FIGURES_KEPT_SECONDS", 300)
# After that, they are still shown this many seconds while a task counts them again.
ORG_FIGURES_STALE_SECONDS = env_int("ORG_FIGURES_STALE_SECONDS", 3600)

# Long work (big imports, exports, many emails) runs as a task: stored in the database and
# run by `manage.py db_worker` beside the web server (`make run` starts one). Tests, and
# TASKS_IMMEDIATE=1, run each task at once in the process that asked for it.
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING or env_bool("TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing strength is not under test; a fast hasher keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Behind a proxy that ends TLS, the client's address is the one the proxy adds to
# X-Forwarded-For (pmladder.throttle.client_address): TRUSTED_PROXY_COUNT is how many
# proxies in a row add an entry (a load balancer in front of nginx: 2).
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
if TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 1 or more.")

# Failed sign-in throttling (pmladder.signin): after LOGIN_FAILURE_LIMIT failures for one
# username from one address, or LOGIN_ADDRESS_FAILURE_LIMIT failures for any usernames from
# one address, sign-in is refused for the cool-off period, which failures during it do not
# extend; a successful sign-in resets that username's count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "pmladder.signin.SignInAttempts"
AXES_CLIENT_IP_CALLABLE = "pmladder.throttle.client_address"
AXES_USERNAME_CALLABLE = "pmladder.signin.username_for_attempts"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pmladder.views.locked_out"
AXES_VERBOSE = False

# Password-reset links asked for, per client address and per email address, in an hour.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 30)
PASSWORD_RESET_LIMIT_PER_EMAIL = env_int("PASSWORD_RESET_LIMIT_PER_EMAIL", 3)
PASSWORD_RESET_LIMIT_SECONDS = 60 * 60

# Single sign-on with OpenID Connect (the sso app; see the README's "Single sign-on").
# SSO_PROVIDERS=okta,entra names the providers; each needs SSO_<NAME>_ISSUER, _CLIENT_ID and
# _CLIENT_SECRET, and may set _LABEL and _TRUST_EMAIL (sso.config). An identity signs in as
# the person or account with its verified email; with SSO_CREATE_SIGN_IN, a person who has
# no sign-in yet gets one. With PASSWORD_SIGN_IN off, only the accounts named in
# SSO_BREAK_GLASS_USERS may sign in with (or reset, or change) a password.
from sso.config import check_sign_in_possible, providers_from_environment  # noqa: E402

SSO_PROVIDERS = providers_from_environment(os.environ)
SSO_CREATE_SIGN_IN = env_bool("SSO_CREATE_SIGN_IN", False)
PASSWORD_SIGN_IN = env_bool("PASSWORD_SIGN_IN", True)
SSO_BREAK_GLASS_USERS = env_list("SSO_BREAK_GLASS_USERS")
# Signing out also signs out at the provider, where it offers that (RP-initiated logout).
SSO_LOGOUT_AT_PROVIDER = env_bool("SSO_LOGOUT_AT_PROVIDER", False)
check_sign_in_possible(SSO_PROVIDERS, PASSWORD_SIGN_IN)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development and tests WhiteNoise serves straight from the app folders, no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Ladder and people files larger than these are refused before they are read.
LADDER_FILE_MAX_BYTES = env_int("LADDER_FILE_MAX_BYTES", 1024 * 1024)
# 16 MiB takes a file of 100,000 people (about 11 MB) from the command.
PEOPLE_FILE_MAX_BYTES = env_int("PEOPLE_FILE_MAX_BYTES", 16 * 1024 * 1024)
# The admin previews people files of up to this many people within the upload's request;
# a longer file (up to PEOPLE_FILE_MAX_BYTES) is previewed by a background task.
PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST = env_int("PEOPLE_PREVIEW_MAX_ROWS_IN_REQUEST", 1000)

# Security. Pages carry no inline scripts or styles, so the policy can stay strict.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # Bootstrap draws its small icons as data: SVGs
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe app servers over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if BEHIND_TLS_PROXY:
        # Trust the proxy's word that the original request was HTTPS.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A refused form's CSRF check is logged with its reason.
CSRF_FAILURE_VIEW = "pmladder.views.csrf_failure"

# Email is sent over SMTP when EMAIL_HOST is set (with EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD and EMAIL_USE_TLS). Without it, development (DEBUG=1) prints emails
# to the console; with DEBUG off that would put live password-reset links in the logs, so
# the app refuses to start unless EMAIL_BACKEND names a backend on purpose. Offline
# commands send no email and need neither.
_email_backend = env("EMAIL_BACKEND")
if not _email_backend:
    if env("EMAIL_HOST"):
        _email_backend = "django.core.mail.backends.smtp.EmailBackend"
    elif DEBUG or TESTING:
        _email_backend = "pmladder.mail.ReadableConsoleBackend"
    elif _command in OFFLINE_COMMANDS:
        _email_backend = "django.core.mail.backends.dummy.EmailBackend"
    else:
        raise ImproperlyConfigured(
            "EMAIL_HOST must be set when DEBUG is off, so that password-reset links are "
            "emailed rather than printed to the logs. To print emails anyway, set "
            "EMAIL_BACKEND=pmladder.mail.ReadableConsoleBackend on purpose."
        )
_email_options = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env("EMAIL_HOST_USER"),
        "password": env("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
# The address people reach the app at, for links in emails.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "pm-ladder@localhost")

# The JSON API (`api`): personal access tokens or the app's sign-in, cursor pages, one
# error shape, and API_RATE requests per token (or per user signed in), e.g. "1000/hour".
API_RATE = env("API_RATE", "1000/hour")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",  # first: its 401 names the scheme
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PM Ladder API",
    "VERSION": "1",
    "DESCRIPTION": (
        "The career ladders, people, evidence and reviews of PM Ladder, with the same "
        "access rules as its pages: what you may not see answers 404, what you see but may "
        "not do answers 403.\n\n"
        "**Authentication**: a personal access token (make one on the Access tokens page, "
        "`/account/tokens/`) sent as `Authorization: Bearer <token>`.\n\n"
        "**Errors** all have one shape: "
        '`{"error": {"status": 400, "code": "invalid", "message": "...", '
        '"fields": {"records[3].level": ["..."]}}}`; `fields` only for bad input.\n\n'
        "**Pages**: lists are paged by cursor: follow `next` (and `previous`); "
        "`page_size` takes up to 200.\n\n"
        "**Rate limit**: too many requests per token answer 429 with a `Retry-After` header."
    ),
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LadderStatusEnum": "levels.models.Ladder.Status",
        "EvidenceStatusEnum": "assessments.models.Evidence.Status",
        "ReviewStatusEnum": "assessments.models.Review.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_per_refusal": {"()": "pmladder.logging.OneLinePerRefusal"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["one_line_per_refusal"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # Refusals and failed sign-ins, with who and what (pmladder.middleware, .signin):
        # an audit trail, kept whatever LOG_LEVEL says.
        "pmladder.access": {"level": "WARNING"},
    },
}

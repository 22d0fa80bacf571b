"""Settings for the integration case-management system.

Everything that differs between a laptop and production comes from the
environment; with nothing set the app runs on SQLite under ``var/``.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from accounts.role_mapping import parse_group_map

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("APP_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _secret_key() -> str:
    """The key from the environment, or one kept in ``var/`` for a laptop."""
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The municipality this deployment serves; printed on reports and pages.
MUNICIPALITY_NAME = env_str("MUNICIPALITY_NAME", "Demo Kommune")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "common",
    "accounts",
    "integration",
    "progression",
    "evaluation",
    # Demo municipality and benchmark: the seed_demo and bench commands.
    "fixtures",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.sessions.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # With single sign-on on, a password sign-in waits for its TOTP code.
    "accounts.middleware.BreakGlassSecondFactorMiddleware",
    "accounts.middleware.AnonymousBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.NoStoreForSignedInMiddleware",
    # Last, so that it sees a lockout before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.menu.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A persistent connection that died with a database restart is
        # dropped when the next request starts, instead of failing it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # While the database is unreachable a request fails within seconds with
    # the error page instead of hanging until gunicorn kills the worker.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
    )
    # PostgreSQL's JIT compiles the reports' correlated subqueries anew on every
    # run and takes longer doing so than running them (make bench, 10,000
    # citizens: the cohort table in 1.4 s with JIT, 0.2 s without).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "integration.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with the permissions kept in the cache (accounts.access).
    "accounts.backends.RoleBackend",
    # Does nothing without OIDC_ISSUER.
    "accounts.oidc.OIDCBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on through the municipality's identity provider (OpenID
# Connect, mozilla-django-oidc): on when OIDC_ISSUER is set. The endpoints come
# from the issuer's discovery document. Then only administrators sign in with
# a password here (break-glass, with a TOTP code); everyone else through the
# provider, with role and team from its groups (OIDC_GROUP_MAP, see
# accounts/role_mapping.py) at every sign-in.
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_GROUP_MAP = parse_group_map(env_str("OIDC_GROUP_MAP"))
OIDC_INACTIVE_DAYS = env_int("OIDC_INACTIVE_DAYS", 90)
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
# The ID token is kept in the session as the hint for signing out at the
# provider; the access token is not kept.
OIDC_STORE_ID_TOKEN = True
OIDC_STORE_ACCESS_TOKEN = False
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET and OIDC_GROUP_MAP):
    raise ImproperlyConfigured(
        "OIDC_ISSUER needs OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_GROUP_MAP"
    )
if OIDC_INACTIVE_DAYS < 1:
    raise ImproperlyConfigured("OIDC_INACTIVE_DAYS must be 1 or more")
OTP_TOTP_ISSUER = MUNICIPALITY_NAME

# Lock a username at one address after 5 failed attempts within 24 hours (an
# administrator unlocks it sooner), and stop an address after 30 failures in
# an hour whatever the usernames (accounts/throttle.py). Locking the username
# alone would let anyone lock anyone out, the administrator included.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 24
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
SIGNIN_IP_FAILURE_LIMIT = env_int("SIGNIN_IP_FAILURE_LIMIT", 30)
SIGNIN_IP_WINDOW_SECONDS = env_int("SIGNIN_IP_WINDOW_SECONDS", 3600)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# A password is chosen through a one-time link (an administrator never sets
# one); the link lives 3 days.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_SECONDS", 3 * 24 * 3600)

# Mail goes through SMTP when EMAIL_HOST is set; otherwise it is printed on the
# console, so a newcomer's laptop sends nothing.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")
# The address the product is reached at, for links in e-mails sent without a
# request (the morning e-mail of deadlines).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

# Request limits, checked before Django parses a request (config/guards.py
# and accounts/middleware.py). The largest form is a 20 MB CSV upload.
COOKIE_HEADER_MAX_BYTES = env_int("COOKIE_HEADER_MAX_BYTES", 8192)
COOKIE_HEADER_MAX_BACKSLASHES = env_int("COOKIE_HEADER_MAX_BACKSLASHES", 64)
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 25 * 1024 * 1024)
ANONYMOUS_BODY_MAX_BYTES = env_int("ANONYMOUS_BODY_MAX_BYTES", 64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2621440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Sessions end after 30 idle minutes: a request moves the end, writing it at
# most once a minute (accounts.sessions.SessionRenewalMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ENGINE = "accounts.sessions"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind TLS in production: DJANGO_HTTPS=1 turns on every HTTPS-only setting.
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # Signing out posts here and is redirected on to the identity provider.
        "form-action": [SELF, *([_origin(OIDC_ISSUER)] if OIDC_ISSUER else [])],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Copenhagen"
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Collected, hashed and compressed files in production; served from the
# finders on a laptop and in tests so that no collectstatic is needed there.
STATIC_MANIFEST = env_bool("DJANGO_STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
if not STATIC_MANIFEST:
    # WhiteNoise warns about a missing root even when it serves from the finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]


def _bootstrap_dir() -> Path:
    import xstatic.pkg.bootstrap

    return Path(xstatic.pkg.bootstrap.BASE_DIR)


STATICFILES_DIRS.append(("bootstrap", _bootstrap_dir()))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Domain rules that a municipality may tune.
CASELOAD_PAGE_SIZE = env_int("CASELOAD_PAGE_SIZE", 25)
DEADLINE_SOON_DAYS = env_int("DEADLINE_SOON_DAYS", 14)
REPORT_MIN_CELL = env_int("REPORT_MIN_CELL", 5)
# A report's independent counts run side by side on this many connections, in
# one snapshot of the database (common/snapshot.py; PostgreSQL only): about the
# number of cores the database has. 1 runs them one after the other.
REPORT_QUERY_THREADS = env_int("REPORT_QUERY_THREADS", 2)
# The integration contract is due this many calendar months after the
# municipality took over responsibility: integrationsloven § 19, stk. 1
# (LBK nr. 1127 af 11-10-2017, the act seed 001 cites: "senest 1 måned").
CONTRACT_DEADLINE_MONTHS = env_int("CONTRACT_DEADLINE_MONTHS", 1)
# The integration plan is to be offered this many months after arrival. The
# action plan (seed 002, delmål 1) starts contract and plan together before
# arrival; a municipality that counts the plan on another rule sets it here.
PLAN_DEADLINE_MONTHS = env_int("PLAN_DEADLINE_MONTHS", 1)
# The dashboard caches its figures under the data version (common.data_version),
# which every write bumps. With several gunicorn workers (or servers) the cache
# must be shared so that one worker's write invalidates what another cached:
# production sets REDIS_URL. Without it each process keeps its own memory cache,
# which is all a laptop needs. CACHE_KEY_PREFIX keeps two deployments (or test
# runs) that share one Redis apart.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "integration"),
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Reports are made in the background by `manage.py db_worker` (django-tasks).
# Tests and a laptop without a worker use the immediate backend.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if env_bool("TASKS_IN_BACKGROUND", False)
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}
# Raters who differ by this much on an item make it a dialogue topic.
PROGRESSION_DIVERGENCE = env_int("PROGRESSION_DIVERGENCE", 2)
# A rater's index (mean of items 1–12) is shown and reported only when at
# least this many of the 12 items are answered; otherwise "too few answers".
PROGRESSION_MIN_ANSWERED = env_int("PROGRESSION_MIN_ANSWERED", 9)
# Days a citizen's self-assessment link stays valid.
CITIZEN_LINK_DAYS = env_int("CITIZEN_LINK_DAYS", 14)
# `manage.py apply_retention` anonymises cases closed longer ago than this:
# five years (leap days included), the usual discard period for a closed
# municipal social case. It deletes access-log rows older than the second
# setting: six months, as the Danish security order (bek. 528/2000, § 19)
# prescribed for logs of personal data.
CASE_RETENTION_DAYS = env_int("CASE_RETENTION_DAYS", 5 * 365 + 2)
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 180)
# A checked import file waits this long for its confirmation, then it is gone.
PENDING_UPLOAD_SECONDS = env_int("PENDING_UPLOAD_SECONDS", 3600)
if CASE_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("CASE_RETENTION_DAYS must be 1 or more")
if ACCESS_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("ACCESS_LOG_RETENTION_DAYS must be 1 or more")
if REPORT_MIN_CELL < 1:
    raise ImproperlyConfigured("REPORT_MIN_CELL must be 1 or more")
if CONTRACT_DEADLINE_MONTHS < 1 or PLAN_DEADLINE_MONTHS < 1:
    raise ImproperlyConfigured(
        "CONTRACT_DEADLINE_MONTHS and PLAN_DEADLINE_MONTHS must be 1 or more"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Axes logs the username of every failed login; keep that out of the
        # console, the database keeps the attempts.
        "axes": {"level": "WARNING"},
    },
}

SILENCED_SYSTEM_CHECKS = [
    # Lockout is by username on purpose: a whole town hall shares one IP
    # address behind its NAT, and locking that would lock out every caseworker.
    "axes.W006",
]

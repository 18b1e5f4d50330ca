"""Settings for SMS, read from environment variables with embedded defaults.

Only ``SECRET_KEY`` has no default: it is never in the repository. ``DEBUG`` is off unless
set, and then ``ALLOWED_HOSTS`` is required too; both refuse to load with a message that
says what to set. The demo run (``scripts/run``) sets ``DEBUG=1`` and a key it generated
once under ``var/``; the test run sets its own (``tests/conftest.py``).

Everything else has an embedded default: SQLite under ``var/``, an in-memory channel
layer, a local-memory cache and eager Celery, which is what a shell and the unit tests
need. The run command sets ``REDIS_URL`` (its embedded Redis when none is given) so every
process it starts shares one broker, cache and channel layer.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from sms.gc_tuning import parse_thresholds
from sms.observability.logs import logging_config
from sms.version import VERSION

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SMS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # No fallback key: one in the repository would let anyone sign sessions and admin JWTs.
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. For a server set SECRET_KEY to 50 or more random characters "
        "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') and ALLOWED_HOSTS "
        "to its host names. For the demo run scripts/run, which generates a key into "
        "var/secret_key; after that a development shell can use "
        'export DEBUG=1 SECRET_KEY="$(cat var/secret_key)".'
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. With DEBUG off, set ALLOWED_HOSTS to the host names this "
        "site answers to, comma-separated (e.g. ALLOWED_HOSTS=sms.example.org)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "import_export",
    "simple_history",
    # /health/ (sms/observability/health.py; also `manage.py health_check`) and /metrics.
    "health_check",
    "django_prometheus",
    "apps.accounts",
    "apps.academics",
    "apps.analytics",
    "apps.notifications",
    "apps.bulkio",
    # The project itself, for its whole-site commands (backup_database, restore_database).
    "sms",
]

MIDDLEWARE = [
    # /health/… and an allowed scraper's /metrics, before ALLOWED_HOSTS and the HTTPS
    # redirect: probes address a process by IP over plain HTTP (sms/observability/probes.py).
    "sms.observability.probes.ProbeMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # X-Request-ID on every response, in every log line and in the tasks queued.
    "sms.observability.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's CSPMiddleware, plus the socket's host and the browsable API (sms/csp.py)
    "sms.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "apps.academics.middleware.WriteSourceMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Input nested past Python's stack in a form a page parses: a 400 page (sms/jsonsafe.py).
    "sms.jsonsafe.DeepInputMiddleware",
    # Last, so it sees the views' exceptions first: a database outage is a 503 page.
    "sms.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "sms.urls"
WSGI_APPLICATION = "sms.wsgi.application"
ASGI_APPLICATION = "sms.asgi.application"

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
                "sms.context_processors.version",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Every SQLite database gets this, the default file and one placed by URL alike. WAL lets
# the web process read while a worker writes; IMMEDIATE takes the write lock up front and
# the timeout waits it out (a long import) instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
    ),
}
if DATABASE_URL:
    # Persistent connections are per thread, and under ASGI each request may run on a new
    # thread: kept-alive connections pile up until PostgreSQL refuses clients. Close them
    # after each request (CONN_MAX_AGE=0), as Django advises for ASGI; the web process
    # keeps them in a pool instead (DB_POOL_SIZE below).
    DATABASES = {
        # A connection kept across requests (DB_CONN_MAX_AGE > 0) is checked before reuse,
        # so one left idle across a database restart is replaced, not failed on.
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
            conn_health_checks=True,
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "sms.sqlite3"}
    }
# The web process pools its PostgreSQL connections (sms/database.py): at most DB_POOL_SIZE
# per process (0: one connection per request, as the workers do), a request waiting at most
# DB_POOL_TIMEOUT seconds for one. The test settings turn it off in the test process.
DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "25"))
DB_POOL_TIMEOUT = float(os.environ.get("DB_POOL_TIMEOUT", "3"))
SMS_POOL_WEB_CONNECTIONS = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: channel layer, cache, Celery ------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

# Two sites sharing one Redis (or a test beside a running site) keep apart: the cache's
# keys and the channel layer's groups and channels carry this prefix. Without it on the
# channel layer, user 7 of one site received the notifications of user 7 of the other.
REDIS_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "sms")
# Channel names allow letters, digits, "-", "_" and "." only.
CHANNEL_LAYER_PREFIX = re.sub(r"[^A-Za-z0-9_.-]", "-", REDIS_KEY_PREFIX) + "-asgi"

# Channel layer: "pubsub" (RedisPubSubChannelLayer, measured faster here, see
# docs/benchmarks.md) or "core" (RedisChannelLayer). Both need an explicit pool size.
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub")
REDIS_LAYER_HOST = {
    "address": REDIS_URL,
    # redis-py caps its asyncio pool at 100 connections and times reads out after 5 s;
    # both break mass disconnects and idle consumers. Connecting to a dead Redis fails fast.
    "max_connections": 10000,
    "socket_timeout": None,
    "socket_connect_timeout": 2,
}

if REDIS_URL:
    if CHANNEL_LAYER == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [REDIS_LAYER_HOST],
                    "capacity": 1000,
                    "expiry": 60,
                    "prefix": CHANNEL_LAYER_PREFIX,
                },
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [REDIS_LAYER_HOST], "prefix": CHANNEL_LAYER_PREFIX},
            }
        }
    CACHES = {
        "default": {
            # RedisCache that misses and skips writes while Redis is down (sms/cache.py).
            "BACKEND": "sms.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "TIMEOUT": 600,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "sms-default",
            "TIMEOUT": 600,
        }
    }


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a Redis unix socket ``redis+socket://``; redis-py spells it ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CELERY_BROKER_URL = celery_broker_url(REDIS_URL) if REDIS_URL else "memory://"
# Celery's result backend spells a unix socket as kombu does (``socket://`` alone is no
# backend at all: sending the first task failed).
CELERY_RESULT_BACKEND = celery_broker_url(REDIS_URL) if REDIS_URL else "cache+memory://"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = os.environ.get("TIME_ZONE", "Europe/Athens")  # same as TIME_ZONE below
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# Every task is bounded: the soft limit raises SoftTimeLimitExceeded inside it (a job is
# then marked failed with the reason), the hard limit kills the process running it. The
# long steps (preview and apply of the largest file allowed, background exports) get
# their own; 200,000 rows apply in well under a minute, so 10 minutes leaves room for a
# loaded machine. A graceful stop (runstack's SMS_STOP_TIMEOUT, compose's
# stop_grace_period) waits longer than the longest hard limit.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "300"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "360"))
SMS_LONG_TASK_SOFT_TIME_LIMIT = int(os.environ.get("SMS_LONG_TASK_SOFT_TIME_LIMIT", "600"))
SMS_LONG_TASK_TIME_LIMIT = int(os.environ.get("SMS_LONG_TASK_TIME_LIMIT", "660"))
# A running import or export step renews its lease in the cache every third of this;
# a lease that lapses means its worker died, and a starting worker recovers the job.
SMS_JOB_LEASE_SECONDS = int(os.environ.get("SMS_JOB_LEASE_SECONDS", "30"))

# --- Auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("el", _("Greek"))]
# locale/: the project's own catalog (makemessages). locale_django/: Greek for the few
# strings of Django's admin and auth that Django's bundled Greek catalog lacks.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_django"]
FORMAT_MODULE_PATH = ["sms.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Athens")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# SMS_STATIC_MANIFEST=1 (the image, compose and scripts/stage set it): collectstatic writes
# every file under a content-hashed name too and pages link only to those, so the proxy may
# cache them for a year (deploy/nginx/locations.conf). Off by default, because pages then
# fail until collectstatic has run, which a shell, the tests and a development run never do.
SMS_STATIC_MANIFEST = env_bool("SMS_STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "sms.staticfiles.ManifestStaticFilesStorage"
            if SMS_STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------------------
# Console unless told otherwise; naming a mail server (EMAIL_HOST) means SMTP to it.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sms@localhost")
EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # JWT first, so an anonymous request is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "sms.api.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "sms.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "sms.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's throttles, identifying clients by the lockout's address (apps/accounts/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.accounts.throttling.AnonRateThrottle",
        "apps.accounts.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("SMS_THROTTLE_ANON", "120/minute"),
        "user": os.environ.get("SMS_THROTTLE_USER", "3000/minute"),
        "login": os.environ.get("SMS_THROTTLE_LOGIN", "60/minute"),
        "token_refresh": os.environ.get("SMS_THROTTLE_TOKEN_REFRESH", "120/minute"),
    },
    # Reverse proxies in front of the web processes (1 behind the shipped nginx). Client
    # addresses (throttles, login lockout) are then the N-th X-Forwarded-For entry from the
    # right, the one the outermost proxy wrote; 0: the header is not read at all.
    "NUM_PROXIES": int(os.environ.get("SMS_NUM_PROXIES", "0")),
}
# A list's `count` counts at most this many rows (then `count_is_exact` is false), so a page
# of a 2-million-row list costs what a page of a short one does (sms/api.py, docs/api.md).
SMS_API_COUNT_CAP = int(os.environ.get("SMS_API_COUNT_CAP", "10000"))
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "15"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=int(os.environ.get("JWT_REFRESH_HOURS", "24"))),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# Login lockout (apps/accounts/lockout.py), shared by the login page and the token endpoint.
SMS_LOGIN_MAX_FAILURES = int(os.environ.get("SMS_LOGIN_MAX_FAILURES", "5"))
SMS_LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("SMS_LOGIN_MAX_FAILURES_PER_IP", "20"))
SMS_LOGIN_WINDOW_SECONDS = int(os.environ.get("SMS_LOGIN_WINDOW_SECONDS", "900"))
SMS_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("SMS_LOGIN_LOCKOUT_SECONDS", "900"))
SPECTACULAR_SETTINGS = {
    "TITLE": "SMS API",
    "DESCRIPTION": "Student Management System REST API",
    "VERSION": VERSION,  # pyproject.toml, through sms/version.py
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Four models have a field named "status" with different choices, and imports take one
    # resource more than exports (OneRoster): one name each.
    "ENUM_NAME_OVERRIDES": {
        "EnrollmentStatusEnum": "apps.academics.models.EnrollmentStatus",
        "AttendanceStatusEnum": "apps.academics.models.AttendanceStatus",
        "ImportStatusEnum": "apps.bulkio.models.ImportStatus",
        "ExportStatusEnum": "apps.bulkio.models.ExportStatus",
        "ImportResourceEnum": "apps.bulkio.models.IMPORT_RESOURCES",
        "ResourceEnum": "apps.bulkio.models.Resource",
    },
}

# --- Security when served for real ------------------------------------------------------
# With DEBUG off the site is served over HTTPS, by default behind a proxy that terminates
# TLS and sets X-Forwarded-Proto (deploy/nginx.conf): plain HTTP is redirected, HSTS and
# secure cookies are on, and `manage.py check --deploy` has nothing to report.
# SMS_PLAIN_HTTP=1 turns redirect, HSTS and secure cookies off for a plain-HTTP staging run.
SMS_PLAIN_HTTP = env_bool("SMS_PLAIN_HTTP", False)
if not DEBUG:
    HTTPS_ONLY = not SMS_PLAIN_HTTP
    if HTTPS_ONLY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS_ONLY)
    SECURE_HSTS_SECONDS = int(
        os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS_ONLY else "0")
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS_ONLY)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS_ONLY)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if not HTTPS_ONLY:
        # Plain HTTP was asked for by name (SMS_PLAIN_HTTP=1, e.g. scripts/stage on
        # loopback): `check --deploy` stays quiet about the four HTTPS-only settings it
        # turned off, and still reports everything else.
        SILENCED_SYSTEM_CHECKS = [
            "security.W004",
            "security.W008",
            "security.W012",
            "security.W016",
        ]

# --- Logs, metrics, health, error reports (sms/observability/, docs/operations.md) -------
# JSON lines with request id and user (production, staging) or the bare message (the
# developer run and the tests, which run with DEBUG on).
SMS_LOG_FORMAT = os.environ.get("SMS_LOG_FORMAT", "plain" if DEBUG else "json").strip().lower()
if SMS_LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("SMS_LOG_FORMAT must be json or plain.")
# One access line per request (method, path, status, duration, request id, user).
SMS_LOG_REQUESTS = env_bool("SMS_LOG_REQUESTS", SMS_LOG_FORMAT == "json")
LOGGING = logging_config(log_format=SMS_LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))
# A worker logs through LOGGING too (JSON, with the request id of each task), not Celery's.
CELERY_WORKER_HIJACK_ROOT_LOGGER = SMS_LOG_FORMAT != "json"
# /metrics: besides loopback, these addresses or networks (comma-separated), or a client
# sending "Authorization: Bearer <SMS_METRICS_TOKEN>". Several processes: set
# PROMETHEUS_MULTIPROC_DIR for all of them (read by prometheus_client itself).
SMS_METRICS_ALLOWED_IPS = env_list("SMS_METRICS_ALLOWED_IPS")
SMS_METRICS_TOKEN = os.environ.get("SMS_METRICS_TOKEN", "")
SMS_HEALTH_MIN_FREE_DISK_MB = int(os.environ.get("SMS_HEALTH_MIN_FREE_DISK_MB", "500"))
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from sms.observability.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", ""),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# --- Content-Security-Policy (django-csp; sms/csp.py adds the per-request parts) ---------
# Scripts and styles come only from our own files: no inline <script>, no on…= handlers
# and no style="" in any page or admin template (classes instead; per-value bars are
# <meter>s). Nothing needs 'unsafe-inline', for styles either: htmx's injected indicator
# <style> is switched off by the htmx-config meta tag in base.html, and Chart.js, htmx and
# the admin's scripts only set element.style from script, which a policy does not block.
# The nonce is spent only where a request asks for it: the API docs page, whose Swagger UI
# starts from an inline script (templates/drf_spectacular/swagger_ui.html).
from csp.constants import NONCE, NONE, SELF  # noqa: E402 - kept with the policy it builds

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # + ws://<host> wss://<host> for ws/notifications/ (sms/csp.py)
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Domain settings --------------------------------------------------------------------
# The school's rules that are settings, each read in one place: the pass mark (a final
# grade in %, SPEC: 50 %, i.e. 10/20) by the grade engine (``grading.pass_mark``); the
# attendance alert limits (a rate below the threshold in %, or this many absences in a
# row) by the attendance notices and as the analytics' ``threshold``/``consecutive``
# defaults (``apps.academics.filtering``).
SMS_PASS_MARK = 50
SMS_NOTIFY_ATTENDANCE_THRESHOLD = float(os.environ.get("SMS_NOTIFY_ATTENDANCE_THRESHOLD", "75"))
SMS_NOTIFY_CONSECUTIVE_ABSENCES = int(os.environ.get("SMS_NOTIFY_CONSECUTIVE_ABSENCES", "3"))

# --- Notifications ----------------------------------------------------------------------
SMS_SITE_URL = os.environ.get("SMS_SITE_URL", "http://localhost:8000")
# The school's name where a file names it (the OneRoster export's orgs.csv).
SMS_SCHOOL_NAME = os.environ.get("SMS_SCHOOL_NAME", "SMS")
SMS_NOTIFY_POLL_SECONDS = int(os.environ.get("SMS_NOTIFY_POLL_SECONDS", "30"))
SMS_NOTIFY_PUSH_TIMEOUT = float(os.environ.get("SMS_NOTIFY_PUSH_TIMEOUT", "5"))
CELERY_BEAT_SCHEDULE = {
    "notifications-send-due-emails": {
        "task": "notifications.send_due_emails",
        "schedule": 600.0,
    },
    "notifications-send-email-digests": {
        "task": "notifications.send_email_digests",
        "schedule": 3600.0,
    },
    # Unread notifications past their user's delay become one email (expires: a worker
    # that was away runs it once, not once per missed minute).
    "notifications-escalate-unread": {
        "task": "notifications.escalate_unread",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# --- Bulk import/export (apps/bulkio) -----------------------------------------------------
SMS_BULKIO_MAX_UPLOAD_BYTES = int(os.environ.get("SMS_BULKIO_MAX_UPLOAD_MB", "25")) * 1_048_576
SMS_BULKIO_MAX_ROWS = int(os.environ.get("SMS_BULKIO_MAX_ROWS", "200000"))
SMS_BULKIO_MAX_CELL_CHARS = int(os.environ.get("SMS_BULKIO_MAX_CELL_CHARS", "5000"))
# Enforced while a file is read (apps/bulkio/reading), refusing at the first breach:
# columns (up to a row's last filled cell), cells of the data rows (a cell per column,
# empty ones included) and the unpacked size of the XLSX parts read. Together they keep a
# 25 MB upload's table under 200 MB of memory (docs/benchmarks.md, hostile files).
SMS_BULKIO_MAX_COLUMNS = int(os.environ.get("SMS_BULKIO_MAX_COLUMNS", "500"))
SMS_BULKIO_MAX_CELLS = int(os.environ.get("SMS_BULKIO_MAX_CELLS", "2000000"))
SMS_BULKIO_MAX_UNPACKED_BYTES = int(os.environ.get("SMS_BULKIO_MAX_UNPACKED_MB", "256")) * 1_048_576
# Files with more data rows than this are previewed and applied by a Celery worker.
SMS_BULKIO_BACKGROUND_ROWS = int(os.environ.get("SMS_BULKIO_BACKGROUND_ROWS", "5000"))
SMS_BULKIO_PREVIEW_ROWS = int(os.environ.get("SMS_BULKIO_PREVIEW_ROWS", "500"))
SMS_BULKIO_BATCH_SIZE = int(os.environ.get("SMS_BULKIO_BATCH_SIZE", "1000"))
# Direct (streamed) exports above these sizes are refused in favour of a background job.
SMS_BULKIO_STREAM_MAX_ROWS = int(os.environ.get("SMS_BULKIO_STREAM_MAX_ROWS", "200000"))
SMS_BULKIO_PDF_MAX_ROWS = int(os.environ.get("SMS_BULKIO_PDF_MAX_ROWS", "5000"))
SMS_BULKIO_EXPORT_RETENTION_HOURS = int(os.environ.get("SMS_BULKIO_EXPORT_RETENTION_HOURS", "72"))
SMS_BULKIO_EMAIL_ATTACHMENT_MAX_BYTES = (
    int(os.environ.get("SMS_BULKIO_EMAIL_ATTACHMENT_MAX_MB", "10")) * 1_048_576
)
CELERY_BEAT_SCHEDULE["bulkio-clean-old-exports"] = {
    "task": "bulkio.clean_old_exports",
    "schedule": 3600.0,
}

# --- Analytics --------------------------------------------------------------------------
# The web and worker processes' garbage collector (sms/gc_tuning.py): None is Python's own.
SMS_GC_THRESHOLDS = parse_thresholds(os.environ.get("SMS_GC_THRESHOLDS"))
# After a rebuild or a worker start, the default views of this many users (one
# administrator, then the most recently active teachers) are computed ahead of visits.
SMS_ANALYTICS_WARM_USERS = int(os.environ.get("SMS_ANALYTICS_WARM_USERS", "200"))
# A student sees how they compare with a course (its average, their percentile) only when
# at least this many students of it have a final grade.
SMS_PRIVACY_MIN_GROUP = max(2, int(os.environ.get("SMS_PRIVACY_MIN_GROUP", "5")))
# The teachers' weekly digest email: Mondays 07:00 in CELERY_TIMEZONE (the site's time).
from celery.schedules import crontab  # noqa: E402 - kept with the entry it builds

CELERY_BEAT_SCHEDULE["analytics-send-teacher-digests"] = {
    "task": "analytics.send_teacher_digests",
    "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
}

"""Django settings for the venue POS backend.

Every value that differs between machines comes from the environment, read here and only
here. The defaults are for a developer machine (`make run`): PostgreSQL and Redis on
private loopback ports started by `scripts/services.sh`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# An explicit development default; production sets POS_SECRET_KEY (docker/compose.yml).
SECRET_KEY = env("POS_SECRET_KEY", "dev-only-insecure-secret-key-change-me")
DEBUG = env_bool("POS_DEBUG", False)
ALLOWED_HOSTS = env_list("POS_ALLOWED_HOSTS", ".localhost,localhost,127.0.0.1,testserver")
CSRF_TRUSTED_ORIGINS = env_list(
    "POS_CSRF_TRUSTED_ORIGINS", "http://*.localhost:8000,http://localhost:8000"
)

# --- Multi-tenancy (django-tenants): one PostgreSQL schema per venue organisation ---
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as our own static files
    # Failed log-ins of the platform admin, counted in the public schema (axes is a tenant
    # app too: each venue's log-ins are counted in its own schema).
    "axes",
]
# Users, tokens and sessions live in each tenant's schema: a user of one venue
# organisation does not exist in another.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "knox",
    "axes",
    "sales",
    "reservations",
    "fiscal",
    "sales.mail",  # e-mail to customers and operators (docs/notifications.md)
    "sales.webhooks",  # signed HTTP deliveries of the domain events (docs/webhooks.md)
    # Last: its post_migrate grants the role groups the permissions of every app above.
    "tenants.staff",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "pos.urls_public"
ROOT_URLCONF = "pos.urls"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# Marked stale reads to the hot standby when there is one (pos.replica); the tenant
# router decides what migrates where.
DATABASE_ROUTERS = ["pos.replica.StaleReadsRouter", "django_tenants.routers.TenantSyncRouter"]
# Set the tenant's search_path once per request (and again after a rollback), not before
# every query: it halved the statements of a hold (docs/performance.md). Behind PgBouncer
# in transaction mode (POS_DB_POOLING=transaction) no session SET is made at all: the
# backend sets the path inside every transaction instead (pos/db_backend/base.py).
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "tenants.middleware.CachedTenantMiddleware",
    "tenants.middleware.TenantTimeZoneMiddleware",  # the venue's clock (tenant setting)
    "django.middleware.security.SecurityMiddleware",
    # Above the session and CSRF middleware: it sees (and marks Secure) their cookies.
    "pos.security.SecureCookiesOnHttpsMiddleware",
    "pos.security.CSPMiddleware",  # django-csp's, the policy built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a log-in refused by the throttle into its answer (tenants.login_throttle).
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pos" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "pos.wsgi.application"

POS_LOCK_TIMEOUT = env("POS_LOCK_TIMEOUT", "3s")
DATABASES = {
    "default": {
        "ENGINE": "pos.db_backend",  # django-tenants', keeping the search path (its docstring)
        "NAME": env("POS_DB_NAME", "pos"),
        "USER": env("POS_DB_USER", "pos"),
        "PASSWORD": env("POS_DB_PASSWORD", "pos-dev-password"),
        "HOST": env("POS_DB_HOST", "127.0.0.1"),
        "PORT": env("POS_DB_PORT", "55432"),
        "CONN_MAX_AGE": int(env("POS_DB_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        # Every statement of every connection waits at most POS_LOCK_TIMEOUT for a row
        # lock, then fails with 55P03, answered 503 `busy` (pos.concurrency).
        "OPTIONS": {"connect_timeout": 5, "options": f"-c lock_timeout={POS_LOCK_TIMEOUT}"},
        "TEST": {"NAME": env("POS_TEST_DB_NAME", "test_pos")},
        # POS_DB_POOLING=transaction: HOST/PORT are a PgBouncer in transaction mode; the
        # backend then sets the tenant's path and the lock timeout inside every
        # transaction instead of once per session (pos/db_backend, docs/pgbouncer.md).
        "POOLING": env("POS_DB_POOLING", ""),
        # Server-side cursors live across transactions: not through a transaction pooler.
        "DISABLE_SERVER_SIDE_CURSORS": env("POS_DB_POOLING", "") == "transaction",
    }
}
# A hot standby (scripts/replica.sh, docs/replica.md) for the reads marked stale_reads_ok:
# configured when POS_DB_REPLICA_HOST or POS_DB_REPLICA_PORT is set. Read-only by setting
# too, a short connect timeout (a dead replica is skipped, pos.replica), and in tests the
# test database itself (MIRROR).
if env("POS_DB_REPLICA_HOST", "") or env("POS_DB_REPLICA_PORT", ""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        "HOST": env("POS_DB_REPLICA_HOST", DATABASES["default"]["HOST"]),
        "PORT": env("POS_DB_REPLICA_PORT", DATABASES["default"]["PORT"]),
        "OPTIONS": {"connect_timeout": 2,
                    "options": "-c default_transaction_read_only=on"},
        # Reached directly, not through the primary's pooler: its session options hold.
        "POOLING": "",
        "DISABLE_SERVER_SIDE_CURSORS": False,
        "TEST": {"MIRROR": "default"},
    }
POS_DB_REPLICA_MAX_LAG_SECONDS = float(env("POS_DB_REPLICA_MAX_LAG_SECONDS", "5"))
POS_DB_REPLICA_CHECK_SECONDS = float(env("POS_DB_REPLICA_CHECK_SECONDS", "3"))
POS_DB_REPLICA_CATCH_UP_SECONDS = float(env("POS_DB_REPLICA_CATCH_UP_SECONDS", "0.1"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache (availability, throttles) and Celery broker ---
REDIS_URL = env("POS_REDIS_URL", "redis://127.0.0.1:56379")
REDIS_CACHE_DB = env("POS_REDIS_CACHE_DB", "1")
REDIS_BROKER_DB = env("POS_REDIS_BROKER_DB", "0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"{REDIS_URL}/{REDIS_CACHE_DB}",
        "KEY_PREFIX": env("POS_CACHE_PREFIX", "pos"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            # The cache only ever speeds things up: with Redis down every read falls
            # through to PostgreSQL instead of failing the request.
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "pos.cache"

# --- Pushed seat maps (reservations.push, reservations.consumers): channels-redis' pub/sub
# layer, one PUBLISH per change whatever the number of open maps. Pub/sub channels are
# not per Redis database: the prefix keeps a test run, a benchmark and `make run` apart. ---
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [env("POS_CHANNELS_REDIS_URL", f"{REDIS_URL}/{REDIS_CACHE_DB}")],
                   "prefix": env("POS_CACHE_PREFIX", "pos") + ":ws"},
    }
}
# The ASGI server's port (`make run`: uvicorn beside gunicorn), and the socket's base URL
# the POS page is given: empty means ws[s]://<the page's host name>:POS_WS_PORT; behind a
# proxy that serves /ws/ on the site's own origin, set it to that origin
# (e.g. wss://pos.example.com).
POS_WS_PORT = int(env("POS_WS_PORT", "8001"))
POS_WS_BASE_URL = env("POS_WS_BASE_URL", "")
# How often an open socket checks that no change went unheard (seconds).
POS_WS_RECHECK_SECONDS = float(env("POS_WS_RECHECK_SECONDS", "15"))

CELERY_BROKER_URL = env("POS_CELERY_BROKER_URL", f"{REDIS_URL}/{REDIS_BROKER_DB}")
CELERY_RESULT_BACKEND = env("POS_CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "America/Caracas"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Two queues, a worker for each (Procfile, docker/compose.yml; docs/operations.md "Queues"):
# the checkout queue takes only what the hold/checkout path waits on, so a slow SMTP
# server, a webhook receiver timing out or a big report never delays an expiry or an
# extension; everything else goes to the background queue. Every task of the project is
# named here (tests/test_celery_queues.py fails on one that is not); Celery's own tasks
# take the default queue, the checkout one.
CELERY_CHECKOUT_QUEUE = env("POS_CELERY_QUEUE", "pos")
CELERY_BACKGROUND_QUEUE = env("POS_CELERY_BACKGROUND_QUEUE", f"{CELERY_CHECKOUT_QUEUE}-background")
CELERY_TASK_DEFAULT_QUEUE = CELERY_CHECKOUT_QUEUE
CELERY_TASK_ROUTES = {
    # checkout-critical: recording expiry (frees seats for reporting, ends reservations
    # past their deadline), bulk extension jobs, and the heartbeat that proves this worker.
    "reservations.dispatch_cleanup": {"queue": CELERY_CHECKOUT_QUEUE},
    "reservations.cleanup_expired_reservations": {"queue": CELERY_CHECKOUT_QUEUE},
    "reservations.extend_reservations": {"queue": CELERY_CHECKOUT_QUEUE},
    "tenants.heartbeat": {"queue": CELERY_CHECKOUT_QUEUE},
    # background: statistics snapshots and alerts, customer e-mail, webhooks, exports.
    "reservations.snapshot_stats": {"queue": CELERY_BACKGROUND_QUEUE},
    "reservations.refresh_alerts": {"queue": CELERY_BACKGROUND_QUEUE},
    "mail.*": {"queue": CELERY_BACKGROUND_QUEUE},
    "webhooks.*": {"queue": CELERY_BACKGROUND_QUEUE},
    "exports.*": {"queue": CELERY_BACKGROUND_QUEUE},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Keep LOGGING below (structlog, tenant in every line) in the worker and beat too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Auth, API ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
# django-axes first: it refuses a throttled log-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- API tokens: django-rest-knox, one token per device, only a digest stored ---
KNOX_TOKEN_MODEL = "staff.DeviceToken"
_TOKEN_TTL_HOURS = int(env("POS_TOKEN_TTL_HOURS", "0"))  # 0: until revoked
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "AUTH_HEADER_PREFIX": "Token",  # clients send `Authorization: Token <token>`
    "TOKEN_TTL": timedelta(hours=_TOKEN_TTL_HOURS) if _TOKEN_TTL_HOURS else None,
    "AUTO_REFRESH": False,
}
# Tokens one user may hold at once (terminals, scripts); past it the oldest is revoked.
POS_TOKENS_PER_USER = int(env("POS_TOKENS_PER_USER", "50"))
# knox's own AuthToken is swapped for staff.DeviceToken: its migrations would only create
# an unused table in every schema.
MIGRATION_MODULES = {"knox": None}

# --- One throttle for every log-in (django-axes): the API token, /pos/login/, the tenant
# admin and the platform admin. Failed attempts are rows of the schema the log-in happens
# in (tenants.login_throttle, docs/security.md). ---
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(env("POS_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("POS_LOGIN_COOLOFF_MINUTES", "10")))
# Two counters: per client address (spraying from one place) and per username (guessing
# one account from many places).
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_CALLABLE = "tenants.login_throttle.attempted_username"
AXES_CLIENT_IP_CALLABLE = "tenants.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "tenants.login_throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = False  # a success from one address must not clear a spray from it
# Successful log-ins are not logged: an API log-in would otherwise create a session row.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Proxies in front of gunicorn whose X-Forwarded-For is trusted (0: the peer address).
NUM_PROXIES = int(env("POS_NUM_PROXIES", "0"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.identity.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # The role matrix (tenants.permissions.ROLE_MATRIX): unregistered endpoints are refused.
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.RoleMatrixPermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["pos.limits.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "pos.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "pos.limits.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Venue POS API",
    "DESCRIPTION": (
        "Point-of-sale API for event venues: seat holds with timeouts, checkout with "
        "partial payments, Venezuelan fiscal documents. Every tenant is reached on its "
        "own host name; authenticate with `Authorization: Token <key>` from "
        "`POST /api/auth/token/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["tenants.permissions.RoleMatrixPermission"],
    # Swagger UI and ReDoc from our own static files: no CDN, works on a venue's LAN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AlertKindEnum": "reservations.models.Alert.Kind",
        "AlertStatusEnum": "reservations.models.Alert.Status",
        # One name per choice set (fields named kind, status, currency clash otherwise).
        "DocumentKindEnum": "fiscal.models.DocumentKind",
        "TransactionStatusEnum": "sales.models.Transaction.Status",
        "CurrencyEnum": "sales.models.Currency",
        "ExtensionJobStatusEnum": "reservations.models.ExtensionJob.Status",
        "WebhookDeliveryStatusEnum": "sales.webhooks.models.WebhookDelivery.Status",
    },
    # Documents the error answers every endpoint can give (401, 403, 404, 413, 429, ...).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pos.limits.document_error_responses",
    ],
}

# --- Reservations: defaults for every new tenant's TenantSettings ---
RESERVATION_SETTINGS = {
    "reservation_hold_minutes": int(env("POS_HOLD_MINUTES", "10")),
    "partial_payment_hours": int(env("POS_PARTIAL_PAYMENT_HOURS", "72")),
    "max_reservations_per_session": int(env("POS_MAX_RESERVATIONS_PER_SESSION", "10")),
    "cleanup_interval_minutes": int(env("POS_CLEANUP_INTERVAL_MINUTES", "5")),
    "max_granted_hold_minutes": int(env("POS_MAX_GRANTED_HOLD_MINUTES", "240")),
}

# --- Reservation jobs: alert thresholds and how long operational history is kept ---
RESERVATION_OPERATIONS = {
    "stats_window_hours": int(env("POS_STATS_WINDOW_HOURS", "24")),
    "snapshot_period_minutes": int(env("POS_STATS_SNAPSHOT_MINUTES", "15")),
    "alert_deadline_minutes": int(env("POS_ALERT_DEADLINE_MINUTES", "60")),
    "alert_contested_window_minutes": int(env("POS_ALERT_CONTESTED_WINDOW_MINUTES", "15")),
    "alert_contested_min_conflicts": int(env("POS_ALERT_CONTESTED_MIN_CONFLICTS", "3")),
    # One contested-seat alert per event and window: raised from this many contested
    # seats, naming this many of the most contested.
    "alert_contested_min_seats": int(env("POS_ALERT_CONTESTED_MIN_SEATS", "1")),
    "alert_contested_seats_shown": int(env("POS_ALERT_CONTESTED_SEATS_SHOWN", "10")),
    "alert_abandonment_window_hours": int(env("POS_ALERT_ABANDONMENT_WINDOW_HOURS", "2")),
    "alert_abandonment_threshold": float(env("POS_ALERT_ABANDONMENT_THRESHOLD", "0.6")),
    "alert_abandonment_min_holds": int(env("POS_ALERT_ABANDONMENT_MIN_HOLDS", "10")),
    "history_retention_days": int(env("POS_OPERATIONS_RETENTION_DAYS", "30")),
}

# --- E-mail (sales.mail): tickets, reservation reminders, operator alerts ---
# The console backend by default (`make run` prints e-mails instead of sending them);
# production sets POS_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the
# server below.
EMAIL_BACKEND = env("POS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("POS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("POS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("POS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env("POS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("POS_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("POS_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(env("POS_EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = env("POS_EMAIL_FROM", "Taquilla <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How often a failed e-mail is tried again (backoff 1 min, 2, 4 ... at most 1 h apart).
MAIL_MAX_RETRIES = int(env("POS_EMAIL_MAX_RETRIES", "8"))

# --- Webhooks (sales.webhooks, docs/webhooks.md) ---
# Private, loopback and link-local destinations are refused unless this is on (the demo of
# `make run` and the tests, whose receivers run on this machine): docs/security.md.
POS_WEBHOOKS_ALLOW_PRIVATE = env_bool("POS_WEBHOOKS_ALLOW_PRIVATE", False)
# Seconds before each retry of a failed delivery (±20 % jitter); then it is `failed`.
POS_WEBHOOKS_RETRY_SCHEDULE = [float(s) for s in env_list(
    "POS_WEBHOOKS_RETRY_SCHEDULE", "30,120,600,3600,21600")]
POS_WEBHOOKS_CONNECT_TIMEOUT = float(env("POS_WEBHOOKS_CONNECT_TIMEOUT", "3"))
POS_WEBHOOKS_READ_TIMEOUT = float(env("POS_WEBHOOKS_READ_TIMEOUT", "10"))

# --- Demo tenant created by `make run` ---
POS_DEMO_PASSWORD = env("POS_DEMO_PASSWORD", "demo-pass")
# The platform admin (public schema's /admin/) that `make setup` creates when missing.
POS_PLATFORM_ADMIN_USER = env("POS_PLATFORM_ADMIN_USER", "platform")
POS_PLATFORM_ADMIN_PASSWORD = env("POS_PLATFORM_ADMIN_PASSWORD", "demo-pass")

# --- i18n / time ---
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "pos" / "locale"]
TIME_ZONE = "America/Caracas"
USE_I18N = True
USE_TZ = True

# --- Static files (WhiteNoise serves them from gunicorn) ---
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "pos" / "static"]  # the POS page's script and styles
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Request limits: no client can make the server parse an unbounded body ---
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# The API's JSON parser (pos.limits) refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with
# 413 and JSON nested deeper than this with 400 (deep nesting overflows the Python stack).
API_MAX_JSON_DEPTH = 32

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- HTTPS: behind a proxy that terminates TLS and sets X-Forwarded-Proto (it must
# overwrite a client's). On an HTTPS request: HSTS (SecurityMiddleware) and Secure cookies
# (pos.security); plain HTTP (make run) is left as it is. ---
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("POS_TRUST_X_FORWARDED_PROTO", True) else None
)
SECURE_HSTS_SECONDS = int(env("POS_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("POS_HSTS_INCLUDE_SUBDOMAINS", False)

# --- Content-Security-Policy (django-csp): scripts, styles and everything else from our
# own origin only; no inline script anywhere (the POS page hands its data over in a JSON
# block). The API docs add what Swagger UI and ReDoc need (pos.docs_views). ---
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
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Logging: structured (JSON in production, key=value on a terminal), tenant in every line ---
LOG_FORMAT = env("POS_LOG_FORMAT", "console")
LOG_LEVEL = env("POS_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "pos.logging.build_formatter",
            "renderer": LOG_FORMAT,
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": "INFO"},
        # Each failed log-in is logged as a warning; its per-attempt INFO lines are noise.
        "axes": {"level": "WARNING"},
    },
}

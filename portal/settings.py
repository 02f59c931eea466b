"""Linli settings. Everything comes from the environment (see docs/configuration.md).

With no variables set the portal runs embedded: the PostgreSQL server that `make run` starts
under var/ (portal/embedded), a filesystem Celery broker and a file cache there too, so `make run`
needs nothing installed. DATABASE_URL / CELERY_BROKER_URL / CACHE_URL switch to real servers with
no code change.
"""

import importlib
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from portal import csp, embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("LINLI_READ_DOT_ENV", default=(BASE_DIR / ".env").exists()):
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("LINLI_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production-linli-0000000000"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not DEBUG:
    missing = [
        name
        for name, value in (
            ("DJANGO_SECRET_KEY", SECRET_KEY),
            ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off, so these environment variables must be set: "
            + ", ".join(missing)
            + " (see docs/configuration.md)."
        )
else:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portal",
    "grids",
    "centres",
    "services",
    "volunteers",
    "notifications",
    "open311",
    "dashboard",
    "workforce",
    "mediation",
    "surveys",
    "deliberation",
    "portal.admin_site.PortalAdminConfig",  # django.contrib.admin with the app list kept
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # ExclusionConstraint, BtreeGistExtension, range fields
    "rest_framework",
    "rest_framework.authtoken",  # API tokens (portal.api_auth), revocable in the admin
    "portal.apps.AxesConfig",  # django-axes: login lockout per account and per client
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (the CSP allows no CDN)
    "csp",
    "django_celery_beat",
    "treebeard",
    "import_export",
]

MIDDLEWARE = [
    # First: the request id on every log line and task, the request's time for /metrics.
    "portal.request_id.RequestIdMiddleware",
    # Then: a request the database outage broke (in a view or a middleware) gets a 503.
    "portal.outage.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Read-your-writes, and the replica for the KPI API, the export and Open311 (portal.readdb).
    "portal.readdb.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.security.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (below, "Security")
    "portal.text.RefuseControlCharactersMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the view into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.site",
                "notifications.bell.context",  # the header's bell (cached unread count)
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only. Without DATABASE_URL: the embedded server that `make run` runs under VAR_DIR,
# found through its postmaster.pid (its backend says to run `make run` when none answers).
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    _pgdata = embedded.data_dir(VAR_DIR)
    DATABASES = {
        "default": env.db_url_config(embedded.running_url(_pgdata) or embedded.url(_pgdata))
    }
    DATABASES["default"]["ENGINE"] = "portal.embedded"
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.postgresql", "portal.embedded"):
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL server (postgres://...): Linli runs on PostgreSQL "
        "only. Leave it unset to use the embedded server of `make run`."
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind pgbouncer in transaction mode a server-side cursor (QuerySet.iterator) could continue
# on another server connection: DATABASE_POOLER=transaction turns them off (deploy/pgbouncer.ini).
if env.str("DATABASE_POOLER", default="") == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# An optional read replica (streaming replication of the primary): the dashboard's figures may
# read from it (LINLI_DASHBOARD_DB=replica). Tests mirror it onto the primary.
if env.str("DATABASE_READ_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_READ_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    if env.str("DATABASE_POOLER", default="") == "transaction":
        DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASE_ROUTERS = ["portal.readdb.ReadRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The embedded default is a file cache under var/ (not locmem) so web, worker and beat share one
# cache: the shared area scopes, one-time login codes and rate limits must agree across them.
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    # django-redis (named, not left to environ's guess, so a missing package fails loudly): one
    # client and one connection pool per server in each process, where Django's own Redis cache
    # builds a client (and its table of response callbacks) on every call.
    CACHES["default"]["BACKEND"] = "django_redis.cache.RedisCache"
    # Redis down must not take a page down: a failing cache call is logged and answers "not
    # cached" (sessions fall back to the database, rate limits let the request through), and
    # a hung server costs at most these timeouts.
    # Options written in CACHE_URL's query string (?socket_timeout=5) win over these defaults.
    CACHES["default"]["OPTIONS"] = {
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
        "SOCKET_TIMEOUT": env.float("CACHE_TIMEOUT", default=1.0),
        **CACHES["default"].get("OPTIONS", {}),
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "linli.cache"
# Sessions are read from the cache and written through to the database: a request costs no
# session query, and a cache flush logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "portal.User"
# django-axes first: it refuses a locked-out account or client before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# 等保 2.0 §8.1.4.1 a (identification and authentication): passwords of at least
# LINLI_PASSWORD_MIN_LENGTH characters mixing three of four kinds, not common, not like the
# account's own name or number (docs/operations.md, "Security").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("LINLI_PASSWORD_MIN_LENGTH", default=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.security.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]
PASSWORD_HASHERS = env.list(
    "DJANGO_PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
# The phone login page (a text-message code, and the password form beside it): residents and
# volunteers sent to log in from a tile (the time bank) have a phone, not always a password.
LOGIN_URL = "services:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Login security (portal/security.py; docs/operations.md, "Security") ----------------------
# Client addresses: how many reverse proxies (nginx, an SLB) stand in front of gunicorn. With 0
# X-Forwarded-For is ignored; with N the address the N-th proxy from us saw is the client's.
LINLI_TRUSTED_PROXY_COUNT = env.int("LINLI_TRUSTED_PROXY_COUNT", default=0)
# Lockout: LINLI_LOGIN_FAILURE_LIMIT failures on one account, or LINLI_LOGIN_CLIENT_LIMIT from one
# address (residents share carrier NAT addresses, so it is higher), lock it for the cool-off.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env.int("LINLI_LOGIN_FAILURE_LIMIT", default=5)
LINLI_LOGIN_CLIENT_LIMIT = env.int("LINLI_LOGIN_CLIENT_LIMIT", default=30)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LINLI_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_HANDLER = "portal.security.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "portal.security.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"
AXES_USERNAME_CALLABLE = "portal.security.attempted_username"
AXES_RESET_ON_SUCCESS = False  # a valid login must not reset the per-address count
AXES_DISABLE_ACCESS_LOG = True  # the login log is portal.LoginEvent (one table, append-only)
AXES_ENABLE_ADMIN = False  # portal/admin.py shows lockouts, by role, with an unlock action
AXES_VERBOSE = False
# Staff sessions end after this many idle minutes; residents keep theirs (SESSION_COOKIE_AGE).
LINLI_STAFF_IDLE_MINUTES = env.int("LINLI_STAFF_IDLE_MINUTES", default=30)
# The login log is kept this many days (at least 180: China's Cybersecurity Law, art. 21).
LINLI_LOGIN_LOG_DAYS = max(180, env.int("LINLI_LOGIN_LOG_DAYS", default=365))
# Case events (services.partitions): months kept in the database (0: all, for ever; else at
# least 12); older months are dumped to the archive directory and dropped by
# `manage.py archive_case_events` (docs/operations.md).
LINLI_CASE_EVENT_RETENTION_MONTHS = env.int("LINLI_CASE_EVENT_RETENTION_MONTHS", default=0)
if 0 < LINLI_CASE_EVENT_RETENTION_MONTHS < 12:
    raise ImproperlyConfigured("LINLI_CASE_EVENT_RETENTION_MONTHS: 0 (keep all) or at least 12")
LINLI_CASE_EVENT_ARCHIVE_DIR = Path(
    env.str("LINLI_CASE_EVENT_ARCHIVE_DIR", default=str(VAR_DIR / "archive" / "case-events"))
)
# The notification and city 12345 outboxes keep a delivered row this many days (0: for ever),
# then the daily prune deletes it; pending and failed rows are never pruned.
LINLI_OUTBOX_KEEP_DAYS = env.int("LINLI_OUTBOX_KEEP_DAYS", default=90)
# API tokens expire after this many days (0: never); a new one is issued at the next login.
LINLI_API_TOKEN_DAYS = env.int("LINLI_API_TOKEN_DAYS", default=30)
# Mediation (mediation/): the 12345 categories (by code; a category or its parent) whose cases
# can be converted into a dispute for mediation.
LINLI_MEDIATION_CASE_CATEGORIES = env.list(
    "LINLI_MEDIATION_CASE_CATEGORIES", default=["neighbours"]
)

# --- Language and time: Chinese first ---------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="linli@localhost")

# --- Security (check --deploy is clean when DEBUG is off) ----------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[])

# --- REST API -----------------------------------------------------------------------------------
# Clients authenticate with the session (the pages) or a token from POST /api/auth/token/.
# HTTP Basic sends the password with every request: off unless LINLI_API_BASIC_AUTH turns it on
# (and then behind the same lockout as the login pages).
LINLI_API_BASIC_AUTH = env.bool("LINLI_API_BASIC_AUTH", default=False)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.api_auth.ExpiringTokenAuthentication",
        *(["portal.api_auth.LockoutBasicAuthentication"] if LINLI_API_BASIC_AUTH else []),
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every write (POST, PUT, PATCH, DELETE) of every endpoint is throttled per user (per client
    # address when anonymous); a view names a narrower scope with `throttle_scope`.
    "DEFAULT_THROTTLE_CLASSES": ["portal.api_auth.WriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "write": env.str("LINLI_THROTTLE_WRITE", default="120/min"),
        "intake": env.str("LINLI_THROTTLE_INTAKE", default="30/min"),
        "login": env.str("LINLI_THROTTLE_LOGIN", default="10/min"),
        "webhook": env.str("LINLI_THROTTLE_WEBHOOK", default="600/min"),
    },
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Linli 邻里 API",
    "DESCRIPTION": "Centres, grids, 12345 cases and the volunteer time bank.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ from our own static files (drf-spectacular-sidecar), not a CDN: the CSP's
    # script-src is 'self', and the intranet may have no route to a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name across apps get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {"DisputeKindEnum": "mediation.choices.DisputeKind"},
}

# --- Celery ---------------------------------------------------------------------------------------
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # With acks_late a message is redelivered if not acked within this window, so it must be
    # longer than the longest task (the hard time limit) plus its longest ETA wait.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # A broker that does not answer is given up on quickly (see the publish policy below).
        "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=1.0),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's DatabaseScheduler, sending only while it holds a PostgreSQL advisory
# lock: a second beat started by mistake waits and sends nothing (portal/beat_guard.py).
CELERY_BEAT_SCHEDULER = "portal.beat_guard:GuardedScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that publishes while the broker is down gives up after about a second (the
# database remembers the work; portal.celery.PortalTask logs the lost message and the sweeps
# redo it), instead of holding the resident's intake for Kombu's default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Apps add their periodic tasks in portal/beat.py; DatabaseScheduler copies them into the
# database at start-up, where staff see and pause them in the admin.
CELERY_BEAT_SCHEDULE = importlib.import_module("portal.beat").BEAT_SCHEDULE

# --- Deliberation (议事; docs/deliberation.md) ----------------------------------------------
# Cases promoted to a proposed matter: at least LINLI_DELIB_CASES_MIN cases on one place and
# category within LINLI_DELIB_CASES_DAYS days, as a matter of the kind LINLI_DELIB_CASES_KIND.
# Workforce: from this day of each year ("MM-DD") beat proposes the year's promotions (the
# grades from 1 January next) for every street; see docs/workforce.md.
LINLI_WORKFORCE_PROPOSE_ON = env.str("LINLI_WORKFORCE_PROPOSE_ON", default="12-15")
LINLI_DELIB_CASES_MIN = env.int("LINLI_DELIB_CASES_MIN", default=5)
LINLI_DELIB_CASES_DAYS = env.int("LINLI_DELIB_CASES_DAYS", default=90)
LINLI_DELIB_CASES_KIND = env.str("LINLI_DELIB_CASES_KIND", default="public-affairs")

# --- Integrations (fakes for development, real HTTP clients in production) ---------------------
LINLI = {
    "CITY_12345_URL": env.str("CITY_12345_URL", default=""),
    "CITY_12345_KEY": env.str("CITY_12345_KEY", default=""),
    "CITY_12345_WEBHOOK_SECRET": env.str("CITY_12345_WEBHOOK_SECRET", default=""),
    # "linli": the outbox sends Linli's own JSON; "open311": GeoReport v2 requests and
    # FixMyStreet-style updates (open311.client), with CITY_12345_KEY as the api_key.
    "CITY_12345_MODE": env.str("CITY_12345_MODE", default="linli"),
    "CITY_12345_JURISDICTION": env.str("CITY_12345_JURISDICTION", default=""),
    # A case whose event the city did not take waits BASE s, doubling, at most CAP s (services.city).
    "CITY_12345_BACKOFF_BASE": env.float("CITY_12345_BACKOFF_BASE", default=5.0),
    "CITY_12345_BACKOFF_CAP": env.float("CITY_12345_BACKOFF_CAP", default=60.0),
    "SMS_URL": env.str("SMS_URL", default=""),
    "SMS_KEY": env.str("SMS_KEY", default=""),
    "WECHAT_TEMPLATE_URL": env.str("WECHAT_TEMPLATE_URL", default=""),
    "WECHAT_TEMPLATE_KEY": env.str("WECHAT_TEMPLATE_KEY", default=""),
    "NOTIFY_CHANNELS": env.list("LINLI_NOTIFY_CHANNELS", default=["inbox", "log"]),
    # notifications: quiet hours of users who set none ("" = none), local time; the site's
    # address, put before links in text and WeChat messages (docs/configuration.md).
    "NOTIFY_QUIET_HOURS": env.str("LINLI_NOTIFY_QUIET_HOURS", default="22:00-07:00"),
    # notifications.tasks.flush_outbox: rows per batch, seconds per run before it hands over
    # to the next run (a backlog drains in a chain of runs, one chain at a time), threads
    # sending at once within the run.
    "NOTIFY_FLUSH_BATCH": env.int("LINLI_NOTIFY_FLUSH_BATCH", default=200),
    "NOTIFY_FLUSH_BUDGET": env.float("LINLI_NOTIFY_FLUSH_BUDGET", default=45.0),
    "NOTIFY_FLUSH_THREADS": env.int("LINLI_NOTIFY_FLUSH_THREADS", default=4),
    # services: how long a filed case waits for its dispatch message before the deadline sweep
    # dispatches it itself (the message was lost: broker down or flushed, worker killed).
    "DISPATCH_GRACE_SECONDS": env.float("LINLI_DISPATCH_GRACE_SECONDS", default=60.0),
    "SITE_URL": env.str("LINLI_SITE_URL", default=""),
    "SITE_NAME": env.str("LINLI_SITE_NAME", default="邻里"),
    # The desk's maps (static/desk/map.js): a WGS-84 XYZ tile URL ({z}/{x}/{y}, {s}); empty =
    # no tiles (a plain grid; picking a point still works). See docs/configuration.md.
    "MAP_TILES_URL": env.str("LINLI_MAP_TILES_URL", default=""),
    "MAP_TILES_ATTRIBUTION": env.str("LINLI_MAP_TILES_ATTRIBUTION", default=""),
    # The tiles' datum: "wgs84" (Tianditu, most intranet servers) or "gcj02" (AMap, Tencent):
    # the dashboard's map shifts its WGS-84 shapes and points onto GCJ-02 tiles.
    "MAP_TILES_CRS": env.str("LINLI_MAP_TILES_CRS", default="wgs84"),
    # The database alias the dashboard's figures read from (portal.readdb): "default" (the
    # primary) or "replica" (DATABASE_READ_URL).
    "DASHBOARD_DB": env.str("LINLI_DASHBOARD_DB", default="default"),
    # The dashboard's daily rollup (dashboard/rollup.py): off = every figure read from the
    # cases (exact either way; the rollup makes a district's page fast at a million cases).
    "DASHBOARD_ROLLUP": env.bool("LINLI_DASHBOARD_ROLLUP", default=True),
    # The replica's guards (portal.readdb): further behind than this many seconds → the
    # primary; the lag is measured at most every REPLICA_LAG_CACHE seconds per process; a
    # browser that wrote within READ_YOUR_WRITES seconds reads from the primary.
    "REPLICA_MAX_LAG": env.float("LINLI_REPLICA_MAX_LAG", default=5.0),
    "REPLICA_LAG_CACHE": env.float("LINLI_REPLICA_LAG_CACHE", default=2.0),
    # How long a request waits for that measure before reading from the primary (a dead
    # replica behind pgbouncer does not refuse, it hangs).
    "REPLICA_CHECK_TIMEOUT": env.float("LINLI_REPLICA_CHECK_TIMEOUT", default=1.0),
    "READ_YOUR_WRITES": env.int("LINLI_READ_YOUR_WRITES", default=10),
    # GET requests under these paths read from the replica (when DASHBOARD_DB names one).
    "REPLICA_PATHS": env.list(
        "LINLI_REPLICA_PATHS",
        default=["/api/services/kpis/", "/desk/cases/export/", "/open311/"],
    ),
    "MAP_CENTER": env.list("LINLI_MAP_CENTER", cast=float, default=[24.91, 118.59]),
    # Grid workers' visit log (grids.visits): a household not visited for this many days is
    # listed first; households with a resident of a priority tag sooner (tag=days).
    "VISIT_DUE_DAYS": env.int("LINLI_VISIT_DUE_DAYS", default=90),
    "VISIT_PRIORITY_DAYS": {
        key: int(days)
        for key, days in env.dict(
            "LINLI_VISIT_PRIORITY_DAYS",
            default={"lives_alone": "30", "disabled": "30", "subsistence": "60"},
        ).items()
    },
    # Self-service machines: the accounts (usernames) that file as "kiosk" and nothing else.
    "KIOSK_USERS": env.list("LINLI_KIOSK_USERS", default=[]),
    # /metrics (portal/observability.py): open to these networks, or with this bearer token.
    "METRICS_NETWORKS": env.list("LINLI_METRICS_NETWORKS", default=["127.0.0.1/32", "::1/128"]),
    "METRICS_TOKEN": env.str("LINLI_METRICS_TOKEN", default=""),
    # Open311 GeoReport v2 (open311/, docs/open311.md): the jurisdiction_id a client may send
    # (another is a 404), POSTs a key may make a minute, and whether media_url may point at a
    # private or local address (never in production: the server would fetch inside the network).
    "OPEN311_JURISDICTION": env.str("LINLI_OPEN311_JURISDICTION", default="linli"),
    "OPEN311_POSTS_PER_MINUTE": env.int("LINLI_OPEN311_POSTS_PER_MINUTE", default=60),
    "OPEN311_MEDIA_PRIVATE_OK": env.bool("LINLI_OPEN311_MEDIA_PRIVATE_OK", default=False),
    "OPEN311_CONTACT": env.str("LINLI_OPEN311_CONTACT", default=""),
}

# --- Content-Security-Policy (django-csp; portal/csp.py; docs/operations.md) -------------------
# Strict: scripts and styles only from our own files, nothing framed, forms posted only here.
# Images also from data: and from the tile server of LINLI_MAP_TILES_URL, plus any host in
# LINLI_CSP_IMG_HOSTS. LINLI_CSP_REPORT_ONLY sends the policy as Content-Security-Policy-Report-
# Only (a browser reports what it would block and blocks nothing): for trying a new tile host or
# page. LINLI_CSP_REPORT_URI is where browsers post violation reports (empty: none are sent).
LINLI_CSP_IMG_HOSTS = env.list("LINLI_CSP_IMG_HOSTS", default=[])
LINLI_CSP_REPORT_ONLY = env.bool("LINLI_CSP_REPORT_ONLY", default=False)
LINLI_CSP_REPORT_URI = env.str("LINLI_CSP_REPORT_URI", default="")
_csp_policy = csp.policy(LINLI["MAP_TILES_URL"], LINLI_CSP_IMG_HOSTS, LINLI_CSP_REPORT_URI)
if LINLI_CSP_REPORT_ONLY:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp_policy
else:
    CONTENT_SECURITY_POLICY = _csp_policy

# Every line carries the request id (portal/request_id.py); LINLI_LOG_FORMAT=json writes one
# JSON object per line for a log collector.
LOG_FORMAT = env.str("LINLI_LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    # Said here, not as logging.config's "Unable to configure handler 'console'".
    raise ImproperlyConfigured(f"LINLI_LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Every login is in the login log (portal.LoginEvent); axes' own lines only at warnings.
        "axes": {"level": "WARNING"},
    },
}
# Tests run their real worker on a private queue; production uses Celery's default.
CELERY_TASK_DEFAULT_QUEUE = env.str("LINLI_CELERY_QUEUE", default="celery")
# Production may split the work so a backlog of one kind never delays another: the case clock
# (dispatch, sweep, recompute) on "cases", outgoing messages (SMS, WeChat, the city's outbox) on
# "deliveries", reports on "reports"; the rest stays on the default queue. Each queue gets its
# own workers (deploy/systemd/linli-worker@.service). Off by default: one worker takes all.
LINLI_QUEUES: tuple[str, ...] = ()
if env.bool("LINLI_SPLIT_QUEUES", default=False):
    LINLI_QUEUES = ("cases", "deliveries", "reports")
    CELERY_TASK_ROUTES = {
        "services.tasks.drain_city_outbox": {"queue": "deliveries"},
        "services.tasks.*": {"queue": "cases"},
        "notifications.tasks.*": {"queue": "deliveries"},
        "dashboard.tasks.*": {"queue": "reports"},
    }
# The worker's lines carry the id of the request that sent the task (portal/request_id.py).
CELERY_WORKER_LOG_FORMAT = (
    "[%(asctime)s: %(levelname)s/%(processName)s] [%(request_id)s] %(message)s"
)
CELERY_WORKER_TASK_LOG_FORMAT = (
    "[%(asctime)s: %(levelname)s/%(processName)s] [%(request_id)s] %(task_name)s[%(task_id)s]: "
    "%(message)s"
)

# Error tracking (optional): a Sentry-compatible DSN (Sentry, GlitchTip on the intranet).
SENTRY_DSN = env.str("LINLI_SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,  # residents' phones and names stay out of error reports
        traces_sample_rate=0.0,
        environment=env.str("LINLI_ENVIRONMENT", default="production"),
    )

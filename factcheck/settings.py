"""Settings, all read from the environment.

One file, no class hierarchy: production, `make run` and the tests differ only in their environment
variables. Every value is validated here so a typo fails at start-up with a clear message rather than
at the first request.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("FACTCHECK_DEV", False):
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off (set FACTCHECK_DEV=true for local runs)."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "js_lib_htmx",
    "sources",
    "claims",
    "partners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "factcheck.security.ContentSecurityPolicyMiddleware",
    "factcheck.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

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
            ],
        },
    },
]

# --- PostgreSQL only ---------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is required, e.g. postgresql://postgres@127.0.0.1:5432/factcheck "
        "(`make run` and `make test` start an embedded PostgreSQL and set it for you)."
    )
if urlparse(DATABASE_URL).scheme not in {"postgres", "postgresql", "pgsql"}:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL; no other database is supported.")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and the shared cache (politeness, throttling, locks) -------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is required, e.g. redis://127.0.0.1:6379/0 "
        "(`make run` and `make test` start an embedded Redis and set it for you)."
    )
if urlparse(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured("REDIS_URL must be a redis://, rediss:// or unix:// URL.")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "factcheck"),
    }
}

# --- Celery (read by factcheck/celery.py with the CELERY_ namespace) ------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
# A task whose worker process died (killed, OOM) goes straight back to the queue for another worker,
# instead of waiting out the visibility timeout. An article that keeps killing its worker is failed
# after a few starts (claims/tasks.py), so a poison task cannot loop forever.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues: `fetch` for the tasks that wait on other servers, `nlp` (CPU-bound) for the rest of ours. Named
# one by one, not by a name prefix, so a task's name says what it does; a task left out goes to `nlp`.
# (Celery deprecates `queue=` on the task decorator in favour of this setting.) A worker started with
# `--queues fetch,nlp,default` (the Procfile) takes all of them.
FETCH_QUEUE_TASKS = (
    "claims.tasks.fetch_article",
    "sources.tasks.fetch_source",
    "sources.tasks.recheck_source",
    "sources.tasks.crawl_feed",
    "claims.tasks.fetch_claimreview_feed",
    "partners.tasks.deliver_webhook",
)
CELERY_TASK_ROUTES = {
    **{name: {"queue": "fetch"} for name in FETCH_QUEUE_TASKS},
    "claims.tasks.*": {"queue": "nlp"},
    "sources.tasks.*": {"queue": "nlp"},
    "partners.tasks.*": {"queue": "nlp"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # How long a message a worker took stays invisible before Redis hands it out again: just over
    # the hard time limit (no task can legitimately hold it longer), so a task lost with its whole
    # worker (kill -9, machine gone) is back within about 5 minutes. Retry countdowns stay below it
    # (factcheck/taskbase.py), or a waiting retry would be handed to a second worker.
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 120,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"

# --- Outgoing HTTP (sources/http.py) and fetching (sources/fetching.py) ------------------------------
# Hosts, IPs or CIDRs the fetcher may reach although they are private; tests and local demos only.
FETCH_ALLOWED_PRIVATE_HOSTS = env_list("FETCH_ALLOWED_PRIVATE_HOSTS")
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 5_000_000, minimum=1024)
FETCH_CONNECT_TIMEOUT = env_float("FETCH_CONNECT_TIMEOUT", 5.0)
FETCH_READ_TIMEOUT = env_float("FETCH_READ_TIMEOUT", 15.0)
# One wall clock for a whole fetch: robots.txt, polite waiting, every redirect, headers and body.
FETCH_TOTAL_TIMEOUT = env_float("FETCH_TOTAL_TIMEOUT", 30.0)
FETCH_MAX_REDIRECTS = env_int("FETCH_MAX_REDIRECTS", 5)
# Sent with every request we make, page fetches and webhook POSTs alike.
FETCH_USER_AGENT = env_str("FETCH_USER_AGENT", "FactcheckWorkbench/0.1 (+https://example.org/factcheck-bot)")
FETCH_DOMAIN_MIN_INTERVAL = env_float("FETCH_DOMAIN_MIN_INTERVAL", 1.0)

# --- Pipeline ------------------------------------------------------------------------------------
# Outbound links of one article queued as sources; bounded so one link farm cannot flood the queue.
PIPELINE_MAX_LINKS_PER_ARTICLE = env_int("PIPELINE_MAX_LINKS_PER_ARTICLE", 20)
PIPELINE_MAX_TEXT_CHARS = env_int("PIPELINE_MAX_TEXT_CHARS", 200_000, minimum=1000)
# At most this many claims per article (the highest scored); near-identical sentences count once.
PIPELINE_MAX_CLAIMS_PER_ARTICLE = env_int("PIPELINE_MAX_CLAIMS_PER_ARTICLE", 60, minimum=1)

# --- Scheduled re-checks and reference feeds (sources/recheck.py, sources/feeds.py) ----------------
# Sources a verdict rests on are re-checked this often (hours), others less often; ×2 per unchanged
# check up to the cap (a verdict's source never past a week).
RECHECK_VERDICT_INTERVAL_HOURS = env_int("RECHECK_VERDICT_INTERVAL_HOURS", 24, minimum=1)
RECHECK_DEFAULT_INTERVAL_HOURS = env_int("RECHECK_DEFAULT_INTERVAL_HOURS", 24 * 7, minimum=1)
RECHECK_MAX_INTERVAL_HOURS = env_int("RECHECK_MAX_INTERVAL_HOURS", 24 * 30, minimum=1)
# Link-rot strikes (404/410, DNS failures, persistent errors) after which a source is gone.
RECHECK_GONE_AFTER = env_int("RECHECK_GONE_AFTER", 3, minimum=1)
# Sources leased per scheduled run, and per domain: in flight at once, and started per minute.
RECHECK_MAX_PER_RUN = env_int("RECHECK_MAX_PER_RUN", 500, minimum=1)
RECHECK_DOMAIN_CONCURRENCY = env_int("RECHECK_DOMAIN_CONCURRENCY", 2, minimum=1)
RECHECK_DOMAIN_PER_MINUTE = env_int("RECHECK_DOMAIN_PER_MINUTE", 30, minimum=1)
# New feed items queued as sources per crawl; the rest wait for the next crawl.
FEED_MAX_NEW_ITEMS = env_int("FEED_MAX_NEW_ITEMS", 50, minimum=1)

# --- Partner API and webhooks (partners/) ---------------------------------------------------------
# Requests per API key, counted in Redis: "N/s", "N/min", "N/hour" or "N/day".
PARTNER_API_RATE = env_str("PARTNER_API_RATE", "120/min")
if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", PARTNER_API_RATE):
    raise ImproperlyConfigured(f"PARTNER_API_RATE={PARTNER_API_RATE!r} is not like 120/min.")
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
# First retry after this many seconds, doubling each time (capped at an hour).
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1)
# One send: per connect, per read, and a deadline for the whole of it, so a receiver that dribbles
# its answer cannot hold a worker.
WEBHOOK_CONNECT_TIMEOUT = env_float("WEBHOOK_CONNECT_TIMEOUT", 5.0)
WEBHOOK_READ_TIMEOUT = env_float("WEBHOOK_READ_TIMEOUT", 10.0)
WEBHOOK_TOTAL_TIMEOUT = env_float("WEBHOOK_TOTAL_TIMEOUT", 20.0)
# The `author` of ClaimReview JSON-LD; the URL defaults to the site the request came to.
CLAIMREVIEW_ORGANIZATION_NAME = env_str("CLAIMREVIEW_ORGANIZATION_NAME", "Fact-checking workbench")
CLAIMREVIEW_ORGANIZATION_URL = env_str("CLAIMREVIEW_ORGANIZATION_URL", "")

# --- Auth, i18n, static ------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if env_bool("FAST_PASSWORD_HASHER", False):
    # Tests only: the default hasher costs ~100 ms a login.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not env_bool("FACTCHECK_DEV", False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a TLS-terminating proxy: which header says the original request was https (e.g.
# "X-Forwarded-Proto"). Set it only when the proxy always sets (and strips) that header.
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER", "")
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Full /healthz detail (error messages, worker names) for staff, or for monitoring that sends this
# token as `Authorization: Bearer <token>`; everyone else sees only up or down.
HEALTH_TOKEN = env_str("HEALTH_TOKEN", "")
# Login attempts allowed per account and per client address in LOGIN_THROTTLE_WINDOW seconds.
LOGIN_THROTTLE_ATTEMPTS = env_int("LOGIN_THROTTLE_ATTEMPTS", 10, minimum=1)
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 300, minimum=1)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["partners.authentication.ApiKeyAuthentication"],
    "EXCEPTION_HANDLER": "partners.api.errors.api_exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fact-checking workbench API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"trafilatura": {"level": "WARNING"}, "htmldate": {"level": "WARNING"}},
}

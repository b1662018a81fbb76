"""One env-driven settings module.

SQLite in `var/` by default; `DATABASE_URL` selects PostgreSQL and `REDIS_URL` the Redis
channel layer. Every setting is described in docs/configuration.md.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from alliance.billing import stripe_settings
from alliance.env import env_bool, env_http_base, env_int, env_list, env_networks, env_str
from alliance.notify import config as notify_config

BASE_DIR = Path(__file__).resolve().parent.parent


VAR_DIR = Path(env_str("ALLIANCE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules or env_bool("ALLIANCE_TESTING")
# With DEBUG off nothing starts without a key (tests and DEBUG use a fixed development key).
_DEV_SECRET = "insecure-development-key-do-not-use-in-production-alliance"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET if (DEBUG or TESTING) else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (see docs/configuration.md)"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# The neutral page "Leave quickly" replaces a client's page with (docs/security.md,
# "Privacy at home"); the browser only navigates there, so the CSP is unaffected.
QUICK_EXIT_URL = env_str("QUICK_EXIT_URL", "https://www.bbc.co.uk/weather").strip()
try:
    _quick_exit = urlsplit(QUICK_EXIT_URL)
    _quick_exit_ok = _quick_exit.scheme in {"http", "https"} and bool(_quick_exit.hostname)
except ValueError:  # e.g. an unclosed "[" of an IPv6 address
    _quick_exit_ok = False
if not _quick_exit_ok or any(c.isspace() or not c.isprintable() for c in QUICK_EXIT_URL):
    raise ImproperlyConfigured(
        f"QUICK_EXIT_URL must be an absolute http:// or https:// address, got {QUICK_EXIT_URL!r} "
        "(see docs/configuration.md)"
    )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "django_htmx",
    "alliance.core",
    "alliance.privacy",
    "alliance.accounts",
    "alliance.directory",
    "alliance.notify",
    "alliance.care",
    "alliance.checkins",
    "alliance.schedule",
    "alliance.billing",
    "alliance.conversations",
    "alliance.goals",
    "alliance.journal",
    "alliance.records",
    "alliance.home",
    "alliance.api",
]
try:  # daphne is a dev dependency (channels' test helpers import it); production runs uvicorn.
    import daphne  # noqa: F401
except ImportError:
    INSTALLED_APPS.remove("daphne")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "alliance.core.nul.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "alliance.core.language.PreferredLanguageMiddleware",
    "alliance.schedule.middleware.ReaderTimezoneMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "alliance.privacy.access.AccessMiddleware",
]

ROOT_URLCONF = "alliance.urls"
ASGI_APPLICATION = "alliance.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "alliance" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "alliance.core.context.site",
                "alliance.core.context.navigation",
                "alliance.core.quick_exit.quick_exit_url",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    except (ValueError, dj_database_url.UnknownSchemeError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {exc}") from None
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_POOL"
    ):
        # psycopg's pool, in production only: tests use plain connections so that each
        # test database can be created and dropped cleanly.
        DATABASES["default"]["OPTIONS"] = {
            "pool": {"min_size": 2, "max_size": env_int("DATABASE_POOL_MAX", 10)}
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "alliance.sqlite3"),
            "OPTIONS": {
                # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at
                # BEGIN so concurrent writers queue instead of failing with "locked".
                # secure_delete zeroes freed pages, so erased data does not linger in the file.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory: uvicorn subprocesses in browser tests share it.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CHANNEL_LAYERS: dict[str, Any]
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Serving workers (alliance/core/collector.py) ----------------------------------------
# Each worker freezes its start-up objects, turns the automatic garbage collector off,
# collects the young generations every WORKER_GC_EVERY_SECONDS (0: Python's own collector)
# and everything every WORKER_GC_FULL_EVERY_SECONDS, or sooner once
# WORKER_GC_MAX_NEW_OBJECTS more objects have been allocated than freed since the last one.
WORKER_GC_EVERY_SECONDS = env_int("WORKER_GC_EVERY_SECONDS", 300)
WORKER_GC_FULL_EVERY_SECONDS = env_int("WORKER_GC_FULL_EVERY_SECONDS", 3600)
WORKER_GC_MAX_NEW_OBJECTS = env_int("WORKER_GC_MAX_NEW_OBJECTS", 1_000_000)

# --- Cache (rate-limit counters) ------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
API_RATE_ANON = env_str("API_RATE_ANON", "60/m")
API_RATE_USER = env_str("API_RATE_USER", "600/m")

# --- Tasks ----------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Accounts and authentication ------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING and env_bool("ALLIANCE_FAST_HASHER"):
    # Test servers only: argon2 is slow on purpose, and tests need speed, not strength.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 3)
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 60 * 60 * 72)
# Idle time-out (HIPAA §164.312(a)(2)(iii) automatic logoff): the session expires after this
# many seconds without a request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Alliance")

# django-axes: lock by account + address, by account, and by address, each tier at its own
# limit within the cool-off (alliance/accounts/lockout.py, docs/security.md). The address is
# the one alliance/core/client_address.py gives, so a forwarded header counts only when a
# trusted proxy set it.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)  # one account from one address
LOCKOUT_ACCOUNT_FAILURE_LIMIT = env_int("LOCKOUT_ACCOUNT_FAILURE_LIMIT", 20)
LOCKOUT_ADDRESS_FAILURE_LIMIT = env_int("LOCKOUT_ADDRESS_FAILURE_LIMIT", 100)  # 0: off
if (
    not (1 <= AXES_FAILURE_LIMIT <= LOCKOUT_ACCOUNT_FAILURE_LIMIT)
    or LOCKOUT_ADDRESS_FAILURE_LIMIT < 0
):
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT must be at least 1 and at most LOCKOUT_ACCOUNT_FAILURE_LIMIT, and "
        "LOCKOUT_ADDRESS_FAILURE_LIMIT at least 0 (see docs/configuration.md)"
    )
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60
AXES_HANDLER = "alliance.accounts.lockout.TieredLockoutHandler"
AXES_LOCKOUT_PARAMETERS = "alliance.accounts.lockout.lockout_parameters"
AXES_CLIENT_IP_CALLABLE = "alliance.core.client_address.client_address"
AXES_USERNAME_CALLABLE = "alliance.accounts.lockout.username"
# A refused attempt during a lockout is not counted: hammering a locked account from one
# address neither extends that lock nor adds up to the account-wide one.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "alliance.accounts.views.locked_out"
AXES_VERBOSE = False

# The proxies in front of the ASGI server (addresses or CIDR networks). Only a connection from
# one of them may say, in X-Forwarded-For and X-Forwarded-Proto, who the client is; empty
# (the default) trusts no forwarded header. `alliance serve` hands it to uvicorn.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

# --- Encryption and privacy -----------------------------------------------------------
# Master keys wrap each client's data key (MultiFernet: the first key encrypts, all keys
# decrypt). Rotate by putting a new key first and running `alliance rotate-keys`.
_DEV_MASTER_KEY = "ZGV2LW9ubHktbWFzdGVyLWtleS1hbGxpYW5jZS0wMDA="
MASTER_KEYS = env_list("ALLIANCE_MASTER_KEYS") or ([_DEV_MASTER_KEY] if (DEBUG or TESTING) else [])
if not MASTER_KEYS and not env_bool("ALLIANCE_ALLOW_NO_MASTER_KEYS"):
    raise ImproperlyConfigured(
        "ALLIANCE_MASTER_KEYS must be set when DEBUG is off (see docs/configuration.md)"
    )

# The audit chain (privacy/chain.py): sealed every few seconds by each worker; each new head is
# logged and, when AUDIT_HEAD_FILE is set, appended to that file, which should live where a
# database writer cannot change it (another volume or host, a write-once store).
AUDIT_SEAL_EVERY_SECONDS = env_int("AUDIT_SEAL_EVERY_SECONDS", 5)
AUDIT_HEAD_FILE = env_str("AUDIT_HEAD_FILE")

# --- Security headers -----------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list cannot be undone quickly, so it is the operator's
# explicit choice (SECURE_HSTS_PRELOAD=1), not a default; its reminder is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Every cookie (session, CSRF, language, and the messages cookie, which follows the session's
# settings) is Secure in production and SameSite=Lax: sent over HTTPS only, and not on
# cross-site subrequests or POSTs. `alliance check --deploy` checks the session and CSRF ones.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True  # read by the server only
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Size limits on every request (each form field and message has its own, smaller limit):
# a megabyte of form or JSON is already generous. Uploaded files (a therapist's photo, up
# to 2 MB, checked by its form) are streamed by Django's upload handlers and not counted.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
# No external origin anywhere: scripts, styles, fonts and images come from this host only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Static files, i18n, e-mail -------------------------------------------------------
STATIC_URL = "/static/"
# WhiteNoise serves files through a synchronous iterator; under ASGI Django buffers it,
# which is fine for our small static files (a CDN or the proxy serves them in production).
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "alliance" / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

LANGUAGE_CODE = "en"
FORMAT_MODULE_PATH = ["alliance.formats"]  # one clock per language: alliance/formats/
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "alliance" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if not DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Alliance <no-reply@alliance.invalid>")

# --- Domain settings ------------------------------------------------------------------
LICENCE_EXPIRY_WARNING_DAYS = env_int("LICENCE_EXPIRY_WARNING_DAYS", 30)
MINIMUM_CLIENT_AGE = 18  # adults only; minors are out of scope (docs/architecture.md)

# Each part keeps its settings in its own block below (documented in docs/configuration.md).
# --- checkins and alerts ---
# Minutes before an unacknowledged safety alert escalates to every on-call clinician.
SAFETY_ACK_MINUTES = env_int("SAFETY_ACK_MINUTES", 60)
# Safety e-mails for one alert are coalesced: the first signal e-mails at once, later ones
# within this many minutes of the last e-mail go out as one digest (checkins/safety.py).
SAFETY_DIGEST_MINUTES = env_int("SAFETY_DIGEST_MINUTES", 15)
# The alert budget: the share of a caseload that may carry a needs-attention card.
_share = env_str("ALERT_BUDGET_SHARE", "0.20")
ALERT_BUDGET_SHARE = float(_share) if _share.replace(".", "", 1).isdigit() else -1.0
if not 0 < ALERT_BUDGET_SHARE <= 1:
    raise ImproperlyConfigured(
        f"ALERT_BUDGET_SHARE must be above 0 and at most 1, got {_share!r} (docs/configuration.md)"
    )
# PHQ-9 and GAD-7 at intake and every n-th session after it, for partnerships whose therapist
# has not chosen their own interval. 1 = every session: NHS Talking Therapies collects both
# at every session (session-by-session monitoring), which also leaves a last score when a
# client drops out. Same range as the therapist's own choice (1-12).
OUTCOME_EVERY_N_SESSIONS = env_int("OUTCOME_EVERY_N_SESSIONS", 1)
if not 1 <= OUTCOME_EVERY_N_SESSIONS <= 12:
    raise ImproperlyConfigured(
        "OUTCOME_EVERY_N_SESSIONS must be a whole number from 1 to 12 (see docs/configuration.md)"
    )
# --- matching ---
MAX_WAIT_DAYS = env_int("MAX_WAIT_DAYS", 14)
# Matches shown to a client, and candidates per waiting client in the assignment.
MATCHING_SHOWN = env_int("MATCHING_SHOWN", 5)
MATCHING_WAITLIST_K = env_int("MATCHING_WAITLIST_K", 10)
# Preferred hours a therapist must share with the client in the coming week.
MATCHING_MIN_OVERLAP_HOURS = env_int("MATCHING_MIN_OVERLAP_HOURS", 2)
# Cases before a therapist record is shown (Constantino et al. 2021 profiled on >= 15).
MATCHING_MIN_CASES = env_int("MATCHING_MIN_CASES", 15)
# Therapist records in the matching index are refreshed at least this often.
MATCHING_RECORDS_REFRESH_SECONDS = env_int("MATCHING_RECORDS_REFRESH_SECONDS", 900)
# --- schedule ---
LATE_CANCELLATION_HOURS = env_int("LATE_CANCELLATION_HOURS", 24)
APPOINTMENT_MINUTES = env_int("APPOINTMENT_MINUTES", 50)
SLOT_STEP_MINUTES = env_int("SLOT_STEP_MINUTES", 30)
BOOKING_HORIZON_DAYS = env_int("BOOKING_HORIZON_DAYS", 60)
MIN_BOOKING_NOTICE_MINUTES = env_int("MIN_BOOKING_NOTICE_MINUTES", 60)
CALL_JOIN_EARLY_MINUTES = env_int("CALL_JOIN_EARLY_MINUTES", 15)
# A progress note unsigned this long after its session ends is on the therapist's late list.
NOTES_SIGN_WITHIN_HOURS = env_int("NOTES_SIGN_WITHIN_HOURS", 72)
# --- billing ---
# The currency of new fees until the practice sets its own on the billing admin page; the
# practice's other billing settings (invoice mode, policy) live in the database.
BILLING_CURRENCY = env_str("BILLING_CURRENCY", "USD").upper()
# Card payments through Stripe Checkout (billing/stripe_client.py); without a secret key no
# pay-by-card button is shown and payments are recorded by hand. STRIPE_API_BASE: a proxy's
# address, or the tests' local stand-in. The descriptor follows the account's prefix on the
# client's card statement: neutral, checked at start-up (billing/stripe_settings.py).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_http_base("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_STATEMENT_DESCRIPTOR = stripe_settings.statement_descriptor(
    env_str("STRIPE_STATEMENT_DESCRIPTOR", "ALLIANCE HEALTH")
)

# --- notify ---
# Push (VAPID) and texts (Twilio) are off without keys; DEBUG/tests make a dev VAPID pair once.
VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY = notify_config.vapid_keys(
    env_str("VAPID_PRIVATE_KEY"),
    env_str("VAPID_PUBLIC_KEY"),
    VAR_DIR / "vapid-dev.json" if (DEBUG or TESTING) else None,
)
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:no-reply@alliance.invalid")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_API_BASE = env_http_base("TWILIO_API_BASE", "https://api.twilio.com")
# --- conversations ---
# WebRTC ICE servers (STUN/TURN), as JSON: [{"urls": "turn:turn.example.org:3478", ...}].
ICE_SERVERS_JSON = env_str("ICE_SERVERS_JSON", "[]")
# Longest message (characters); longer ones are refused, not cut.
CONVERSATION_MESSAGE_MAX_CHARS = env_int("CONVERSATION_MESSAGE_MAX_CHARS", 10_000)
# Abuse limit: messages one person may send in any 60 seconds, across all their conversations
# (crisis messages always go through).
CONVERSATION_MESSAGES_PER_MINUTE = env_int("CONVERSATION_MESSAGES_PER_MINUTE", 60)
# Past that limit, up to this many more in the same 60 seconds are stored but held (not
# pushed live; the partner's page collects them within a minute); only beyond it refused.
CONVERSATION_HELD_PER_MINUTE = env_int("CONVERSATION_HELD_PER_MINUTE", 240)
# New-message e-mails: at most one per conversation per this many minutes, sent after a
# short delay so that a partner reading live in the chat is not e-mailed.
CONVERSATION_NOTIFY_THROTTLE_MINUTES = env_int("CONVERSATION_NOTIFY_THROTTLE_MINUTES", 15)
CONVERSATION_NOTIFY_DELAY_SECONDS = env_int("CONVERSATION_NOTIFY_DELAY_SECONDS", 60)
# Channel-layer group names start with this (lets several deployments share one Redis).
CONVERSATION_GROUP_PREFIX = env_str("CONVERSATION_GROUP_PREFIX", "conversation")
# On PostgreSQL, store plain chat messages from the event loop (no thread hop) on
# a small pool of this many connections per worker (alliance/conversations/fastpath.py).
CONVERSATION_STORE_ON_LOOP = env_bool("CONVERSATION_STORE_ON_LOOP", True)
CONVERSATION_LOOP_POOL_SIZE = env_int("CONVERSATION_LOOP_POOL_SIZE", 4)
# Threads per worker for the sockets' database work (keep DATABASE_POOL_MAX at least this).
CONVERSATION_DB_THREADS = env_int("CONVERSATION_DB_THREADS", 8)
# redis-py 8 defaults break the Redis channel layer: a 5 s socket timeout equals
# channels-redis' 5 s blocking pop (an idle socket's receive loop times out and the socket
# dies), and a 100-connection pool raises once a worker holds more busy sockets.
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {
            "address": REDIS_URL,
            "socket_timeout": env_int("REDIS_SOCKET_TIMEOUT", 30),
            "max_connections": env_int("REDIS_MAX_CONNECTIONS", 2000),
        }
    ]
    # channels-redis queues everything for one worker's sockets under one key and silently
    # drops beyond `capacity` (default 100): a busy worker must not lose live messages.
    CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = env_int("CHANNEL_LAYER_CAPACITY", 10_000)
    # Same storage as channels-redis, fewer round trips: a worker's own sockets get group
    # events in memory, other workers' in one script call (alliance/conversations/layers.py).
    CHANNEL_LAYERS["default"]["BACKEND"] = "alliance.conversations.layers.RedisChannelLayer"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

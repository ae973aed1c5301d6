"""Ponton settings: one module, every value readable from the environment.

Defaults give the embedded demo (SQLite in WAL mode, in-memory cache, no
services). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS
and the email variables.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ponton.env import envbool, envemail, envint, envlist, envorigins, envstr

BASE_DIR = Path(__file__).resolve().parent
# Everything Ponton writes (database, attachments, recordings, keys) is for its own user
# only: files 0600, folders 0700, whoever else shares the machine.
os.umask(0o077)
DATA_DIR = Path(envstr("PONTON_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
DATA_DIR.chmod(0o700)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700


def _secret_key() -> str:
    """The configured key, or one generated once and kept in the data folder."""
    configured = envstr("SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")
SITE_NAME = envstr("SITE_NAME", "Hirondelle")
# The reverse proxies in front of Ponton (addresses or networks, comma-separated): only
# the X-Forwarded-For entries they add are believed, by uvicorn, the throttles and the
# sign-in lockout alike (ponton/clientip.py).
PONTON_TRUSTED_PROXIES = envlist("PONTON_TRUSTED_PROXIES", ["127.0.0.1", "::1"])

INSTALLED_APPS = [
    "channels",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ponton.accounts",
    "ponton.journeys",
    "ponton.knowledge",
    "ponton.assistant",
    "ponton.conversations",
    "ponton.connectors",
    "ponton.portal",
    "ponton.api",
    "ponton.tasks",
    "ponton.insights",
    "ponton.status",
    "ponton.workspace",
    "ponton.privacy",
    "ponton.audit",
    "ponton.webhooks",
    "ponton.demo",
    "ponton.ops",
]

MIDDLEWARE = [
    # First: every request gets its id (logs, X-Request-ID) and is counted with its latency.
    "ponton.ops.middleware.ObservabilityMiddleware",
    # Next, so that every answer made by a middleware below (the 413 of the body limit, the
    # 503 of a database outage) carries the Content-Security-Policy too.
    "csp.middleware.CSPMiddleware",
    # Before the body limit, so that every answer of the widget's endpoints (a 413 too) carries CORS.
    "ponton.connectors.webchat.cors.WidgetCorsMiddleware",
    "ponton.bodylimit.BodyLimitMiddleware",
    "ponton.dbdown.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ponton.inputs.RefuseUnstorableInput",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ponton.accounts.twofactor.RequireTwoFactorMiddleware",
    # The audit log learns who acts, and from where, from the request being served.
    "ponton.audit.services.CurrentRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ponton.journeys.middleware.VisitorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ponton.urls"
WSGI_APPLICATION = "ponton.wsgi.application"
ASGI_APPLICATION = "ponton.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each channel slice (connectors/<channel>/) keeps its own templates.
        "DIRS": [BASE_DIR / "templates", *sorted((BASE_DIR / "connectors").glob("*/templates"))],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ponton.knowledge.context_processors.helpcenter",
            ],
        },
    },
]

# Database ------------------------------------------------------------------
# Threads per app process running Django's synchronous code under ASGI (ponton/asgi.py); on
# PostgreSQL they share the process's connection pool.
WEB_THREADS = envint("WEB_THREADS", 8, minimum=1)
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'ponton.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while one writer commits; IMMEDIATE takes the
        # write lock at BEGIN so concurrent writers queue instead of deadlocking.
        # secure_delete: what is deleted or overwritten is zeroed in the file (erasure).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
            "PRAGMA secure_delete=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests run on a database file too, not Django's shared in-memory one: there SQLite locks
    # whole tables and fails at once ("database table is locked") when a browser test's server
    # reads while the test writes, where a file in WAL mode lets readers go on and writers wait.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-ponton.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters let psycopg prepare the statements a connection repeats
    # (every chat message runs the same dozen), so PostgreSQL plans them once.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    # A pool of connections per process (psycopg_pool), instead of a new connection, and a new
    # PostgreSQL backend process, for every request. Its size: the request threads, the
    # websockets' database thread and a spare. A broken connection is checked and replaced
    # before use, so a database restart costs the requests in flight, not the process's pool.
    if envbool("DATABASE_POOL", True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections, not Django
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # checked as the pool lends them
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 2,
            "max_size": envint("DATABASE_POOL_SIZE", WEB_THREADS + 2, minimum=2),
            # Waiting longer for a connection would only hold the request: past this, the
            # database is taken as down and the client told to retry (503, ponton/dbdown.py).
            "timeout": 5,
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ---------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        # Redis, falling back to the process's own memory while Redis cannot be reached.
        "default": {
            "BACKEND": "ponton.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis is noticed in a second, never waited on.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Realtime: pushes reach a websocket held by any app process through Redis.
# TCP keepalive: a silent peer (a host gone, a network cut) is given up on within ~20 s.
REDIS_KEEPALIVE = {
    getattr(socket, name): value
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 2))
    if hasattr(socket, name)
}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # No socket timeout (redis-py's default is 5 s). With one, redis-py writes each
                # command under asyncio.wait_for, which on Python 3.11 swallows a cancellation
                # that lands as the write completes (fixed in 3.12): a websocket's cancelled
                # receive then went on polling Redis for ever, and the socket's end waited on
                # it (129 of 400 quick cancellations here; none without the timeout). A peer
                # gone silent is found by TCP keepalive instead, and a connection attempt has
                # a bound of its own, so a Redis host that does not answer at all (not even a
                # refusal) cannot hold a socket's handshake.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                        "socket_keepalive_options": REDIS_KEEPALIVE,
                    }
                ],
                # A socket's group memberships expire unless renewed (sockets renew theirs
                # while they live), so the sockets of a process that died leave their groups.
                "group_expiry": envint("PONTON_GROUP_EXPIRY_SECONDS", 300, minimum=3),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Authentication -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "knowledge:home"
LOGOUT_REDIRECT_URL = "knowledge:home"
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15, minimum=1))
# Locked per account whatever the address (an attacker changing addresses gains
# nothing; the owner gets back in through the emailed reset or sign-in link, which
# lifts the lock), and per address against spraying many accounts.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "ponton.clientip.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
PONTON_SIGNIN_FAILURES_PER_ADDRESS = envint("PONTON_SIGNIN_FAILURES_PER_ADDRESS", 30, minimum=5)
# Password-reset links work for at most a day (Django's default is three).
PASSWORD_RESET_TIMEOUT = 60 * 60 * envint("PONTON_PASSWORD_RESET_HOURS", 2, minimum=1, maximum=24)
AXES_VERBOSE = False
# Two-factor sign-in for staff (TOTP apps, backup codes): always offered; with this set,
# administrators must enrol before anything else and the admin site wants the code.
PONTON_REQUIRE_2FA = envbool("PONTON_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = SITE_NAME
# Single sign-on for staff through an OpenID Connect provider: off unless the client and
# the provider's endpoints are set (all of them, or the start stops and names the missing).
PONTON_OIDC_PROVIDER_NAME = envstr("PONTON_OIDC_PROVIDER_NAME", "SSO")
PONTON_OIDC_ISSUER = envstr("PONTON_OIDC_ISSUER")
PONTON_OIDC_CREATE_AGENTS = envbool("PONTON_OIDC_CREATE_AGENTS", False)
OIDC_RP_CLIENT_ID = envstr("PONTON_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envstr("PONTON_OIDC_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = envstr("PONTON_OIDC_AUTHORIZATION_URL")
OIDC_OP_TOKEN_ENDPOINT = envstr("PONTON_OIDC_TOKEN_URL")
OIDC_OP_USER_ENDPOINT = envstr("PONTON_OIDC_USERINFO_URL")
OIDC_OP_JWKS_ENDPOINT = envstr("PONTON_OIDC_JWKS_URL")
_oidc = {
    "PONTON_OIDC_CLIENT_ID": OIDC_RP_CLIENT_ID,
    "PONTON_OIDC_CLIENT_SECRET": OIDC_RP_CLIENT_SECRET,
    "PONTON_OIDC_AUTHORIZATION_URL": OIDC_OP_AUTHORIZATION_ENDPOINT,
    "PONTON_OIDC_TOKEN_URL": OIDC_OP_TOKEN_ENDPOINT,
    "PONTON_OIDC_USERINFO_URL": OIDC_OP_USER_ENDPOINT,
    "PONTON_OIDC_JWKS_URL": OIDC_OP_JWKS_ENDPOINT,
}
_oidc_missing = [variable for variable, value in _oidc.items() if not value]
if _oidc_missing and (PONTON_OIDC_ISSUER or len(_oidc_missing) < len(_oidc)):
    raise ImproperlyConfigured(f"Single sign-on is half set up: set {', '.join(_oidc_missing)}.")
PONTON_OIDC_ENABLED = not _oidc_missing
OIDC_RP_SIGN_ALGO = envstr("PONTON_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc:callback"
OIDC_TIMEOUT = 10
if PONTON_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("ponton.accounts.oidc.StaffOIDCBackend")
SESSION_COOKIE_HTTPONLY = True
# The per-address limit is ours (PONTON_SIGNIN_FAILURES_PER_ADDRESS, ponton/accounts/signin.py):
# axes has one failure limit for every parameter, and five from an office would lock it out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Production switch: HTTPS only (redirect, HSTS, secure cookies). Behind a proxy that ends
# TLS, declare it in PONTON_TRUSTED_PROXIES so X-Forwarded-Proto is believed (by uvicorn).
PONTON_PRODUCTION = envbool("PONTON_PRODUCTION", False)
SECURE_SSL_REDIRECT = PONTON_PRODUCTION
SECURE_HSTS_SECONDS = envint("PONTON_HSTS_SECONDS", 31536000, minimum=0) if PONTON_PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("PONTON_HSTS_SUBDOMAINS", PONTON_PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("PONTON_HSTS_PRELOAD", PONTON_PRODUCTION)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", PONTON_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page: scripts only from this site (or carrying the response's nonce), never
# inline; no framing by other sites. Styles keep inline attributes (server-rendered
# fragments use them); attachments have their own stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
# Where `ponton collectstatic` gathers them for the reverse proxy to serve: outside the data
# folder (kept 0700) so the proxy's user can read them (deploy/nginx/ponton.conf). They are
# public: collected readable by all (0644, folders 0755), unlike what the data folder holds.
STATIC_ROOT = Path(envstr("PONTON_STATIC_ROOT", str(DATA_DIR / "static"))).resolve()
try:
    STATIC_ROOT.mkdir(parents=True)
    if not STATIC_ROOT.is_relative_to(DATA_DIR):
        STATIC_ROOT.chmod(0o755)
except FileExistsError:
    pass
# Channels are vertical slices that carry their own static files (the chat widget).
STATICFILES_DIRS = [BASE_DIR / "static", BASE_DIR / "connectors" / "webchat" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# Email -----------------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
)
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Ponton <support@ponton.example>")
# The address customers write to and reply to: answers and acknowledgements leave from it,
# and mail to it (by the MTA pipe or IMAP) opens or continues conversations.
PONTON_SUPPORT_EMAIL = envemail("PONTON_SUPPORT_EMAIL", "support@ponton.example")
PONTON_SUPPORT_NAME = envstr("PONTON_SUPPORT_NAME", "Ponton")
# A received mail larger than this is refused whole (the MTA bounces it to the sender).
PONTON_EMAIL_MAX_BYTES = envint("PONTON_EMAIL_MAX_BYTES", 25 * 1024 * 1024, minimum=64 * 1024)
# Mailboxes customers write to, polled by the workers and `ponton fetch-mail`: IMAP URLs,
# comma-separated (format in ponton/connectors/email/imap.py), checked at start-up.
PONTON_IMAP_MAILBOXES = envlist("PONTON_IMAP_MAILBOXES", [])
PONTON_IMAP_POLL_SECONDS = envint("PONTON_IMAP_POLL_SECONDS", 60, minimum=5)

# API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "ponton.api.schema.PontonAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ponton.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API takes JSON only; the telephony webhooks declare their own form parser.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "ponton.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": envstr("API_ANON_RATE", "120/minute"),
        # Each chat message runs the assistant: per conversation and per address.
        "chat_conversation": envstr("PONTON_CHAT_CONVERSATION_RATE", "20/minute"),
        "chat_address": envstr("PONTON_CHAT_ADDRESS_RATE", "60/minute"),
    },
}
# How long an API token made without --days works (0 in the command: no expiry).
PONTON_API_TOKEN_DAYS = envint("PONTON_API_TOKEN_DAYS", 90, minimum=1)
SPECTACULAR_SETTINGS = {
    "TITLE": "Ponton API",
    "DESCRIPTION": "Help center search, web chat and agent operations.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets named once, where several fields share a name ("status", "language").
    "ENUM_NAME_OVERRIDES": {
        "LangEnum": ["fr", "en"],
        "DeliveryStatusEnum": ["pending", "delivered", "dead"],
        "ArticleStatusEnum": ["draft", "published"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ponton.api.schema.postprocess",
    ],
}

# Assistant ---------------------------------------------------------------------
# Topics a deployment wants always handled by a person (comma-separated phrases).
PONTON_HUMAN_TOPICS = envlist("PONTON_HUMAN_TOPICS", [])
# Optional dense sentence encoder for understanding (a local sentence-transformers model path).
PONTON_ENCODER = envstr("PONTON_ENCODER")
# Optional generative phrasing through an OpenAI-compatible endpoint; off unless URL and model are set.
PONTON_LLM_URL = envstr("PONTON_LLM_URL")
PONTON_LLM_KEY = envstr("PONTON_LLM_KEY")
PONTON_LLM_MODEL = envstr("PONTON_LLM_MODEL")
PONTON_LLM_TIMEOUT = envint("PONTON_LLM_TIMEOUT", 8, minimum=1)
# The company's own systems, behind selfcare actions. The demo serves its own at /demo-backend/.
PONTON_CONNECTOR_URL = envstr("PONTON_CONNECTOR_URL", SITE_URL.rstrip("/") + "/demo-backend/")
PONTON_CONNECTOR_TOKEN = envstr("PONTON_CONNECTOR_TOKEN")
PONTON_CONNECTOR_TIMEOUT = envint("PONTON_CONNECTOR_TIMEOUT", 5, minimum=1)
# The demo's fake company systems answer at /demo-backend/ only while `ponton demo` runs
# (or when this is set): never in production by default.
PONTON_DEMO_BACKEND = envbool("PONTON_DEMO_BACKEND", False)

# Routing and service levels --------------------------------------------------------
# The team that takes handoffs no routing rule matched (its slug); empty: every agent sees them.
PONTON_DEFAULT_TEAM = envstr("PONTON_DEFAULT_TEAM")
# A handoff offered to an agent who has not answered after this long goes to the next one.
PONTON_REROUTE_SECONDS = envint("PONTON_REROUTE_SECONDS", 120, minimum=10)
# A service level is "at risk" when less than this much business time is left.
PONTON_SLA_AT_RISK_MINUTES = envint("PONTON_SLA_AT_RISK_MINUTES", 30, minimum=1)
# Customer portal -----------------------------------------------------------------
# Files attached to conversations: private, served only after an authorisation check.
PONTON_ATTACHMENTS_DIR = Path(
    envstr("PONTON_ATTACHMENTS_DIR", str(DATA_DIR / "attachments"))
).resolve()
# Or, when PONTON_S3_BUCKET is set, a private S3-compatible bucket that app processes on
# several machines share. Files still reach people only through the app (its check, its
# headers): the bucket is never public and no presigned link is handed out.
PONTON_S3_BUCKET = envstr("PONTON_S3_BUCKET")
PONTON_S3_ENDPOINT_URL = envstr("PONTON_S3_ENDPOINT_URL")  # empty: AWS
PONTON_S3_REGION = envstr("PONTON_S3_REGION")
PONTON_S3_PREFIX = envstr("PONTON_S3_PREFIX", "attachments")
PONTON_S3_ADDRESSING_STYLE = envstr("PONTON_S3_ADDRESSING_STYLE")  # "path" for some servers
_attachments: dict[str, Any]
if PONTON_S3_BUCKET:
    _attachments = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PONTON_S3_BUCKET,
            "endpoint_url": PONTON_S3_ENDPOINT_URL or None,
            "region_name": PONTON_S3_REGION or None,
            # Empty: boto3's own chain (AWS_* variables, instance role).
            "access_key": envstr("PONTON_S3_ACCESS_KEY_ID") or None,
            "secret_key": envstr("PONTON_S3_SECRET_ACCESS_KEY") or None,
            "location": PONTON_S3_PREFIX,
            "addressing_style": PONTON_S3_ADDRESSING_STYLE or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    _attachments = {"BACKEND": "ponton.conversations.models.LocalAttachmentStorage"}
STORAGES["attachments"] = _attachments
# Request bodies are capped before they are read (413, ponton/bodylimit.py): the chat API,
# every other page and API (the reply form of the customer space takes its files).
PONTON_CHAT_MAX_BODY_BYTES = envint("PONTON_CHAT_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
PONTON_MAX_BODY_BYTES = envint("PONTON_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=64 * 1024)
# Each file a customer attaches (PDF, images, plain text), in bytes.
PONTON_ATTACHMENT_MAX_BYTES = envint("PONTON_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# One reply of the customer space: its five files and the text.
PONTON_UPLOAD_MAX_BODY_BYTES = 5 * PONTON_ATTACHMENT_MAX_BYTES + 1024 * 1024
# How long a sign-in link sent by email works (it also dies once used).
PONTON_MAGIC_LINK_MINUTES = envint("PONTON_MAGIC_LINK_MINUTES", 15, minimum=1)
# How many callbacks advisors can make in one 30-minute slot.
PONTON_CALLBACKS_PER_SLOT = envint("PONTON_CALLBACKS_PER_SLOT", 3, minimum=1)

# Status page and incidents ---------------------------------------------------------
# From this many contacts about one open incident, the help center, the widget and the
# inbox switch to crisis mode (the incident first; its conversations set apart).
PONTON_CRISIS_THRESHOLD = envint("PONTON_CRISIS_THRESHOLD", 20, minimum=1)
# When the next public update of an incident is promised, unless its author says otherwise.
PONTON_INCIDENT_UPDATE_MINUTES = envint("PONTON_INCIDENT_UPDATE_MINUTES", 30, minimum=5)
# Outbound webhooks -----------------------------------------------------------------
# Webhooks only go to public addresses (checked when saved and at each delivery); set this
# for development and tests, where the receiver listens on 127.0.0.1 or a private network.
PONTON_WEBHOOK_ALLOW_PRIVATE = envbool("PONTON_WEBHOOK_ALLOW_PRIVATE", False)
# Phone -------------------------------------------------------------------------------
# The number customers call, shown on every customer page with the opening hours and the
# wait (empty: nothing phone-related shows). Any format; numbers without a country code
# are read in PONTON_PHONE_REGION.
PONTON_SUPPORT_PHONE = envstr("PONTON_SUPPORT_PHONE")
PONTON_PHONE_REGION = envstr("PONTON_PHONE_REGION", "FR").upper()
# The telephony provider's auth token: it signs the voice menu's webhooks (X-Twilio-Signature,
# checked against SITE_URL + the path: see README "Connecting a phone number").
PONTON_VOICE_AUTH_TOKEN = envstr("PONTON_VOICE_AUTH_TOKEN")
# The provider's Twilio-compatible REST API, for click-to-call and links by SMS (optional).
PONTON_VOICE_ACCOUNT_SID = envstr("PONTON_VOICE_ACCOUNT_SID")
PONTON_VOICE_API_URL = envstr("PONTON_VOICE_API_URL", "https://api.twilio.com")
PONTON_VOICE_SMS = envbool("PONTON_VOICE_SMS", False)
# Past this expected wait, a caller is offered a callback or a voice message instead.
PONTON_VOICE_MAX_WAIT_MINUTES = envint("PONTON_VOICE_MAX_WAIT_MINUTES", 15, minimum=1)
# WhatsApp (Cloud API) and SMS ---------------------------------------------------------
# Meta's webhook: the verify token typed in the app's webhook settings, and the app secret
# that signs each delivery (X-Hub-Signature-256). Without the secret every POST is refused.
PONTON_WHATSAPP_VERIFY_TOKEN = envstr("PONTON_WHATSAPP_VERIFY_TOKEN")
PONTON_WHATSAPP_APP_SECRET = envstr("PONTON_WHATSAPP_APP_SECRET")
# Replies: POST {API_URL}/{PHONE_NUMBER_ID}/messages with the access token (a regional or
# pinned Graph API version goes in the URL).
PONTON_WHATSAPP_API_URL = envstr(
    "PONTON_WHATSAPP_API_URL",
    envstr("PONTON_WHATSAPP_API_BASE", "https://graph.facebook.com/v21.0"),
)
PONTON_WHATSAPP_PHONE_NUMBER_ID = envstr("PONTON_WHATSAPP_PHONE_NUMBER_ID")
PONTON_WHATSAPP_TOKEN = envstr("PONTON_WHATSAPP_TOKEN")
# The approved template sent when more than 24 hours passed since the customer's last
# message (its one body parameter: the request number). Empty: such replies are not sent.
PONTON_WHATSAPP_TEMPLATE = envstr("PONTON_WHATSAPP_TEMPLATE")
# SMS: inbound and status callbacks are signed like the phone's (PONTON_VOICE_AUTH_TOKEN);
# replies go through the same Twilio-compatible REST API, from this number (default: the
# support number).
PONTON_SMS_NUMBER = envstr("PONTON_SMS_NUMBER")
PONTON_SMS_API_URL = envstr("PONTON_SMS_API_URL", PONTON_VOICE_API_URL)
# Retention (days; `ponton purge`, and the workers every 6 hours): closed conversations'
# contents, attachments' files, the journey of anonymous visitors (13 months: CNIL).
PONTON_RETENTION_CONVERSATION_DAYS = envint(
    "PONTON_RETENTION_CONVERSATION_DAYS", 3 * 365, minimum=1
)
PONTON_RETENTION_ATTACHMENT_DAYS = envint("PONTON_RETENTION_ATTACHMENT_DAYS", 2 * 365, minimum=1)
PONTON_RETENTION_VISITOR_JOURNEY_DAYS = envint(
    "PONTON_RETENTION_VISITOR_JOURNEY_DAYS", 395, minimum=1
)
# Links to call recordings are forgotten after this many days (about six months).
PONTON_RECORDING_RETENTION_DAYS = envint("PONTON_RECORDING_RETENTION_DAYS", 183, minimum=1)
# Audit entries older than this are deleted by the same purge: a year covers an annual
# review of who did what (and the CNIL's usual guidance of 6 months to a year for access
# logs), without keeping staff's addresses and actions indefinitely.
PONTON_RETENTION_AUDIT_DAYS = envint("PONTON_RETENTION_AUDIT_DAYS", 365, minimum=1)

# Operations (ponton/ops) -------------------------------------------------------------
# /metrics answers the bearer token PONTON_METRICS_TOKEN, or without it the clients at these
# addresses or networks (as seen behind PONTON_TRUSTED_PROXIES).
PONTON_METRICS_TOKEN = envstr("PONTON_METRICS_TOKEN")
PONTON_METRICS_ADDRESSES = envlist("PONTON_METRICS_ADDRESSES", ["127.0.0.1", "::1"])
# /readyz fails when the oldest due background task has waited longer than this (0: never).
PONTON_READY_MAX_TASK_LAG_SECONDS = envint("PONTON_READY_MAX_TASK_LAG_SECONDS", 0, minimum=0)
# "text" (default) or "json": one JSON object per line, with the request's id.
PONTON_LOG_FORMAT = envstr("PONTON_LOG_FORMAT", "text").lower()
if PONTON_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"PONTON_LOG_FORMAT must be text or json, got {PONTON_LOG_FORMAT!r}")
# The chat widget on the company's own sites (ponton/connectors/webchat/cors.py): the exact
# origins allowed to call the widget's endpoints and open its websocket, and the secret with
# which those sites sign the signed-in customer's id (hex HMAC-SHA256).
PONTON_WIDGET_ORIGINS = envorigins("PONTON_WIDGET_ORIGINS")
PONTON_WIDGET_IDENTITY_SECRET = envstr("PONTON_WIDGET_IDENTITY_SECRET")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ponton.ops.logs.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if PONTON_LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}

"""Settings shared by every environment, each defined once, in reading order.

Everything configurable is read through the one `env` object (`lykos.settings.environment`); `dev`, `test` and
`production` only change defaults or tighten. The social profile's block lives in its own module, imported
below where its section stands. Every variable is listed in the README's table.
"""

from typing import Any

import django_stubs_ext

from .environment import BASE_DIR, LOCAL_ORIGIN, env

# Before any model or admin module loads: the classes django-stubs types as generic (ModelAdmin[Model],
# Field[set, get]) get a __class_getitem__, so annotations that mypy checks also run.
django_stubs_ext.monkeypatch()

# --- core -------------------------------------------------------------------------------------------
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[LOCAL_ORIGIN])

INSTALLED_APPS = [
    "lykos.apps.LykosAdminConfig",  # django.contrib.admin with the site that wants the password login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_prometheus",
    "django_celery_beat",
    "csp",
    "lykos.apps.LykosConfig",
    "apps.identity",
    "apps.chain",
    "apps.security",
    "apps.paymaster",
    "oauth2_provider",
    "apps.social_profile",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "lykos.middleware.RequestIdMiddleware",
    "lykos.middleware.BodySizeLimitMiddleware",
    "lykos.middleware.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A browser session opened from an identity session ends with it (revocation, clone flag, refresh reuse).
    "apps.identity.browser_sessions.IdentityBoundSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "lykos.urls"
WSGI_APPLICATION = "lykos.wsgi.application"
ASGI_APPLICATION = "lykos.asgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- data -------------------------------------------------------------------------------------------
# No ATOMIC_REQUESTS: a request is not one transaction; services open their own where they write several rows.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}


def sqlite_for_concurrency(database: dict[str, Any]) -> dict[str, Any]:
    """SQLite tuned for a threaded server (make run's embedded default); any other engine is returned unchanged.

    WAL lets readers run beside the one writer. IMMEDIATE takes the write lock when a transaction begins, so a
    transaction that read first cannot fail with "database is locked" when it then writes (a deferred one cannot
    wait: its snapshot is stale). The busy timeout makes every writer queue for the lock instead of failing, also
    the on-commit audit sealer, which otherwise failed *after* the request's own write had committed.
    """
    if not database["ENGINE"].endswith("sqlite3"):
        return database
    options = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.float("SQLITE_BUSY_TIMEOUT_SECONDS", default=30.0),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **database.get("OPTIONS", {}),
    }
    return {**database, "OPTIONS": options}


DATABASES["default"] = sqlite_for_concurrency(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
# Wallet users have no password; only staff log in to the admin with one (see apps.identity.backends). Wallet
# users reach the OAuth authorize page with a Django session opened from a fresh passkey login.
AUTHENTICATION_BACKENDS = [
    "apps.identity.backends.StaffPasswordBackend",
    "apps.social_profile.backends.PasskeySessionBackend",
]
# The admin opens only for sessions these backends authenticated: a passkey browser session never grants it.
ADMIN_AUTHENTICATION_BACKENDS = ["apps.identity.backends.StaffPasswordBackend"]
LOGIN_URL = "/login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lykos"}}


def redis_cache(url: str, *, key_prefix: str = "lykos") -> dict[str, Any]:
    """A django-redis cache that fails fast: a Redis outage must turn into a 503, not a hung worker."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- secrets ----------------------------------------------------------------------------------------
# "local": keys generated on first run into a git-ignored file; "vault": HashiCorp Vault / OpenBao.
SECRETS_BACKEND = env.str("SECRETS_BACKEND", default="local")
LOCAL_SECRETS_FILE = env.path("LOCAL_SECRETS_FILE", default=BASE_DIR / ".lykos" / "dev-secrets.json")
VAULT_ADDR = env.str("VAULT_ADDR", default="")
VAULT_TOKEN = env.str("VAULT_TOKEN", default="")
VAULT_KV_MOUNT = env.str("VAULT_KV_MOUNT", default="secret")
VAULT_KV_PREFIX = env.str("VAULT_KV_PREFIX", default="lykos")
VAULT_TRANSIT_MOUNT = env.str("VAULT_TRANSIT_MOUNT", default="transit")
VAULT_TRANSIT_KEY = env.str("VAULT_TRANSIT_KEY", default="lykos-fields")
VAULT_TIMEOUT_SECONDS = env.float("VAULT_TIMEOUT_SECONDS", default=5.0)

# --- identity ---------------------------------------------------------------------------------------
# The relying party: passkeys are bound to this domain. Origins are the exact page origins allowed to run
# ceremonies (scheme://host[:port]).
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="localhost")
WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="LyKos Social Wallet")
WEBAUTHN_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[LOCAL_ORIGIN])
WEBAUTHN_CHALLENGE_TTL_SECONDS = env.int("WEBAUTHN_CHALLENGE_TTL_SECONDS", default=120)
ACCESS_TOKEN_TTL_SECONDS = env.int("ACCESS_TOKEN_TTL_SECONDS", default=300)
REFRESH_TOKEN_TTL_SECONDS = env.int("REFRESH_TOKEN_TTL_SECONDS", default=30 * 86400)
JWT_ISSUER = env.str("JWT_ISSUER", default="lykos")
JWT_AUDIENCE = env.str("JWT_AUDIENCE", default="lykos-api")
# How long a step-up (a fresh passkey assertion for one sensitive action) stays spendable.
STEP_UP_TTL_SECONDS = env.int("STEP_UP_TTL_SECONDS", default=300)
REWARD_POINTS = {
    "signup": 100,
    "second_device": 50,
    "referral_referrer": 200,
    "referral_referee": 100,
    "first_transaction": 150,
}

# --- transactions (paymaster) ------------------------------------------------------------------------
# A prepared operation (and its paymaster signature) is valid this long; an unsigned one then expires.
TRANSACTION_PREPARE_TTL_SECONDS = env.int("TRANSACTION_PREPARE_TTL_SECONDS", default=600)
# maxFeePerGas = bundler's "fast" price + this margin, so the op stays includable while fees move; only the gas
# actually used is charged, at the block's price. Gas limits get their own margin over the bundler's estimate.
USER_OP_FEE_MARGIN_PERCENT = env.int("USER_OP_FEE_MARGIN_PERCENT", default=20)
USER_OP_GAS_MARGIN_PERCENT = env.int("USER_OP_GAS_MARGIN_PERCENT", default=10)
# A submitted op with no receipt this long after its validity ended, and unknown to the bundler, is dropped.
TRANSACTION_DROP_GRACE_SECONDS = env.int("TRANSACTION_DROP_GRACE_SECONDS", default=120)
# A revoked device's signed removal (and its system-sponsored paymaster signature) stays valid this long, so the
# reconciler can resend it until it lands; only after that does the device ask for a new signature.
OWNER_REMOVAL_VALIDITY_SECONDS = env.int("OWNER_REMOVAL_VALIDITY_SECONDS", default=7 * 24 * 3600)
# Shown to ERC-7677 clients as the sponsor of their operations.
PAYMASTER_SPONSOR_NAME = env.str("PAYMASTER_SPONSOR_NAME", default="LyKos Social Wallet")

# --- API --------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "lykos.api.AutoSchema",
    "EXCEPTION_HANDLER": "lykos.errors.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.identity.api.authentication.AccessTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["lykos.parsers.JSONParser"],  # DRF's, refusing NUL (PostgreSQL cannot store it)
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["lykos.ratelimit.ScopedRateLimit"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LyKos Social Wallet API",
    "DESCRIPTION": "Passkey smart wallet with a social identity layer.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN, and the split view keeps the page within our CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "PasskeyStatusEnum": "apps.identity.models.passkeys.Passkey.Status",
        "TransactionStatusEnum": "apps.paymaster.models.transactions.Transaction.Status",
        "MediaKindEnum": "apps.social_profile.models.media.MediaAsset.Kind",
        "StepUpActionEnum": "apps.identity.services.step_up.StepUpAction",
    },
}
# Bodies above this size are refused with 413 before any parser reads them.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# Rate limits: scope -> "N/period" (period: s, m, h, d). Checked per client IP and, where a view says so,
# per user or per identifier (e.g. a username) too.
RATE_LIMITS = {
    "default": env.str("RATE_LIMIT_DEFAULT", default="600/m"),
    "auth": env.str("RATE_LIMIT_AUTH", default="20/m"),
    "otp": env.str("RATE_LIMIT_OTP", default="5/m"),
    # Guesses at the codes sent to one address or number, whichever accounts make them.
    "otp_destination": env.str("RATE_LIMIT_OTP_DESTINATION", default="10/h"),
    "alias": env.str("RATE_LIMIT_ALIAS", default="30/m"),
    "paymaster_rpc": env.str("RATE_LIMIT_PAYMASTER_RPC", default="300/m"),
    # Per-platform limit on /o/ when a platform has none of its own (PlatformRules.rate_limit).
    "platform": env.str("RATE_LIMIT_PLATFORM", default="600/m"),
    "security_scan": env.str("RATE_LIMIT_SECURITY_SCAN", default="60/m"),
    # Data exports per user: each decrypts everything held about the person.
    "export": env.str("RATE_LIMIT_EXPORT", default="3/h"),
    # Refused bearer tokens per client IP; once spent, tokens are refused before they are even parsed.
    "token_invalid": env.str("RATE_LIMIT_TOKEN_INVALID", default="60/m"),
    # Refused client credentials on /o/ per client IP (checked before the toolkit hashes a secret).
    "oauth_client_invalid": env.str("RATE_LIMIT_OAUTH_CLIENT_INVALID", default="30/m"),
}

# /metrics (Prometheus) answers only a scraper sending `Authorization: Bearer <METRICS_TOKEN>`: it labels platforms
# and shows traffic. Empty: not served (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# How many reverse proxies in front of us append to X-Forwarded-For (0: use the socket address).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api|o|\.well-known|rpc)/.*$"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- background work --------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A task killed with its worker goes back to the queue instead of being lost (acks_late alone does not).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "verify-audit-chain": {"task": "lykos.tasks.verify_audit_chain_task", "schedule": 3600.0},
    "purge-idempotency-records": {"task": "lykos.tasks.purge_idempotency_records_task", "schedule": 3600.0},
    "expire-prepared-transactions": {
        "task": "apps.paymaster.tasks.expire_prepared_transactions_task",
        "schedule": 60.0,
    },
    "settle-external-sponsorships": {
        "task": "apps.paymaster.tasks.settle_external_sponsorships_task",
        "schedule": 30.0,
    },
    "reconcile-owner-removals": {
        "task": "apps.paymaster.tasks.reconcile_owner_removals_task",
        "schedule": 30.0,
    },
    "resume-in-flight-transactions": {
        "task": "apps.paymaster.tasks.resume_in_flight_transactions_task",
        "schedule": 300.0,
    },
    # Publishing the audit head to its external anchor (lykos/audit/anchor.py); a no-op while anchoring is off.
    "anchor-audit-head": {
        "task": "lykos.tasks.anchor_audit_head_task",
        "schedule": env.float("AUDIT_ANCHOR_INTERVAL_SECONDS", default=300.0),
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LyKos <no-reply@localhost>")

# --- logging ----------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "lykos.logging.RequestIdFilter"},
        "redact_pii": {"()": "lykos.logging.RedactPiiFilter"},
    },
    "formatters": {"json": {"()": "lykos.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "redact_pii"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request lines carry query strings, which may hold identifiers; our middleware logs requests itself.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- social profile / OAuth -------------------------------------------------------------------------
# apps/social_profile: profile, media, verification badges and the OAuth 2.0 / OpenID Connect provider. The
# largest block of one app, so it reads on its own: lykos/settings/social_profile.py. Beside it (imports sort
# together), the privacy plumbing: audit head anchoring and per-user keys, lykos/settings/privacy.py.
from .privacy import *  # noqa: E402, F403
from .social_profile import *  # noqa: E402, F403

# --- security (G0) ----------------------------------------------------------------------------------
# The risk rules' thresholds and the simulator's configuration are the app's own knobs: apps/security/conf.py.

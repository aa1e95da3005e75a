"""Production only tightens: every secret is required, the local secrets provider is refused, TLS is assumed,
and defaults that are fine on a laptop but leak or skip a safeguard in production are refused unless an opt-out
variable that names the risk says the operator accepts it.

Missing variables are collected and reported together, so an operator fixes them in one pass.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import redis_cache
from .environment import env

REQUIRED = [
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "VAULT_ADDR",
    "VAULT_TOKEN",
]
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "Production settings refuse to start: missing environment variable(s): " + ", ".join(_missing)
    )

DEBUG = False
# Only tightens: no localhost origin is trusted unless the operator names it.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SECRETS_BACKEND = env.str("SECRETS_BACKEND", default="vault")
if SECRETS_BACKEND != "vault":
    raise ImproperlyConfigured(
        f"Production settings refuse SECRETS_BACKEND={SECRETS_BACKEND!r}: only 'vault' is allowed."
    )

_database = env.db("DATABASE_URL")
if _database["ENGINE"].endswith("postgresql"):
    # A stuck query or lock must fail the request, not pile up workers behind it; budgets and nonces are
    # guarded by row locks, so a lock wait this long means something is wrong.
    _database.setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=30000)}"
        f" -c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS', default=10000)}"
    )
DATABASES = {
    "default": {**_database, "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=60), "CONN_HEALTH_CHECKS": True}
}

REDIS_URL = env.str("REDIS_URL")
CACHES = {"default": redis_cache(REDIS_URL)}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = False

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# --- refusals with a named opt-out -----------------------------------------------------------------------------------
# Each default below is a development convenience that, in production, prints one-time codes into the logs or lets
# uploads through unscanned. The opt-out variables are named after the risk on purpose: whoever sets one has read it.
_refused: list[str] = []
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND in {"console", "locmem"} and not env.bool("ALLOW_SMS_CODES_IN_LOGS", default=False):
    _refused.append(
        f"SMS_BACKEND={SMS_BACKEND!r} does not send codes ('console' prints every one-time code into the logs): set"
        " SMS_BACKEND=http with SMS_HTTP_URL and SMS_HTTP_TOKEN, or ALLOW_SMS_CODES_IN_LOGS=true to accept that risk"
    )
CLAMAV_ADDRESS = env.str("CLAMAV_ADDRESS", default="")
if not CLAMAV_ADDRESS and not env.bool("ALLOW_UNSCANNED_UPLOADS", default=False):
    _refused.append(
        "CLAMAV_ADDRESS is empty, so uploads would not be virus-scanned: set it to clamd's host:port, or"
        " ALLOW_UNSCANNED_UPLOADS=true to accept that risk"
    )
if _refused:
    raise ImproperlyConfigured("Production settings refuse to start: " + "; ".join(_refused) + ".")

# An anchor in a local file can be rewritten by whoever can rewrite the database host: it proves nothing.
if AUDIT_ANCHOR_BACKEND == "file":
    raise ImproperlyConfigured("Production settings refuse AUDIT_ANCHOR_BACKEND='file': use 's3' (Object Lock).")

"""Tests run against the real services of the machine: PostgreSQL, Redis and an OpenBao dev server.

Redis DB indexes 13-14 and the `lykos-test` key prefix are the suite's own, so a test run never touches
data it did not create. The OpenBao address and token are filled in by the session fixture that starts it.
"""

from .base import *  # noqa: F403
from .base import redis_cache
from .environment import env

DEBUG = False
SECRET_KEY = "test-only-key-" + "t" * 50
DATABASES = {
    "default": {
        **env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/lykos"),
        "TEST": {"NAME": env.str("TEST_DATABASE_NAME", default="test_lykos")},
    }
}

REDIS_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/13")
CACHES = {"default": redis_cache(REDIS_URL, key_prefix="lykos-test")}
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/14")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_DEFAULT_QUEUE = env.str("TEST_CELERY_QUEUE", default="lykos-test")

SECRETS_BACKEND = env.str("SECRETS_BACKEND", default="vault")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; no test relies on hash strength
ALLOWED_HOSTS = ["*"]

# Every error response the API gives is written down and checked against the schema when the run ends
# (tests/support/error_recorder.py, error_schema.py). First, to see what other middleware answers too.
MIDDLEWARE = ["tests.support.error_recorder.ErrorResponseRecorder", *MIDDLEWARE]

# Models and views that exercise the plumbing on its own (tests/testapp); never installed outside tests.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]

# Social profile / OAuth: test platforms redirect to http://localhost callbacks; SMS goes to an in-memory outbox.
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}
SMS_BACKEND = "locmem"

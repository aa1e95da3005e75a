"""The embedded defaults of `make run`: SQLite, local-memory cache, eager Celery, local secrets, console email."""

from .base import *  # noqa: F403
from .environment import LOCAL_ORIGIN, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Dev only: a fixed, obviously-unsafe key so that `make run` needs no setup. Production refuses to start
# without DJANGO_SECRET_KEY.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-" + "x" * 16)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[LOCAL_ORIGIN])

"""The Celery app. Settings come from Django's (`CELERY_*`); tasks are discovered in every app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lykos.settings.dev")

app = Celery("lykos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

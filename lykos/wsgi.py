"""WSGI entry point (gunicorn); dev settings unless the environment names others (production sets them)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lykos.settings.dev")
application = get_wsgi_application()

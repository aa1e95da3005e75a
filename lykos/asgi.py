"""ASGI entry point; dev settings unless the environment names others (production sets DJANGO_SETTINGS_MODULE)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lykos.settings.dev")
application = get_asgi_application()

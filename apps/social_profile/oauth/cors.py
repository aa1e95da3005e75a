"""CORS for platforms: an origin a platform registered (Application.allowed_origins) may call the OAuth
endpoints from a browser. Everything else keeps the static CORS_ALLOWED_ORIGINS of the settings."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

PLATFORM_PATHS = ("/o/", "/.well-known/")


def platform_origin_allowed(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    origin = request.headers.get("Origin", "")
    if not origin or not request.path.startswith(PLATFORM_PATHS):
        return False
    from oauth2_provider.models import get_application_model

    candidates = get_application_model().objects.filter(allowed_origins__contains=origin).only("allowed_origins")
    return any(origin in app.allowed_origins.split() for app in candidates)

"""Liveness and readiness. Apps register the dependencies they need; /readyz names whichever is down."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

from lykos.secrets import get_secrets_provider

ReadinessCheck = Callable[[], None]
_checks: dict[str, ReadinessCheck] = {}


def register_readiness_check(name: str, check: ReadinessCheck) -> None:
    """A check raises on failure; its message (never a secret) is shown in /readyz."""
    _checks[name] = check


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    probe = f"readyz:{time.monotonic_ns()}"
    cache.set(probe, "1", timeout=5)
    if cache.get(probe) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(probe)


def _secrets() -> None:
    get_secrets_provider().check()


register_readiness_check("database", _database)
# Named after what actually backs the cache, so an outage reads "redis" where Redis is in use.
register_readiness_check("redis" if "redis" in settings.CACHES["default"]["BACKEND"].lower() else "cache", _cache)
register_readiness_check("secrets", _secrets)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in _checks.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the type tells the operator what broke
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, "latency_ms": round((time.monotonic() - started) * 1000, 1)}
    failing = [name for name, result in results.items() if not result["ok"]]
    if failing:
        body = {
            "status": "unavailable",
            "failing": failing,
            "checks": results,
            "error": {
                "code": "dependency_unavailable",
                "message": f"Not ready: {', '.join(failing)} unavailable.",
                "details": {"dependencies": failing},
            },
        }
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "checks": results})

"""Rate limits on the shared cache (Redis outside `make run`): fixed windows counted with atomic INCR.

A limit that cannot be checked is not silently skipped: if Redis is down the request gets a 503, because an
auth or OTP endpoint without its limit is an open door for brute force.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from lykos.errors import DependencyUnavailable, LykosError, RateLimited

if TYPE_CHECKING:
    # Only a hint: rest_framework.views imports the throttle classes, this module among them.
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)
#: What `ratelimit_hit` refuses with: the window is spent, or (unless it fails open) the counter cannot be read.
RATE_LIMIT_ERRORS: tuple[type[LykosError], ...] = (RateLimited, DependencyUnavailable)
#: The scope of general traffic, let through when Redis is down; auth, OTP and alias scopes never are.
FAIL_OPEN_SCOPE = "default"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"20/m"` -> (20, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0]]


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only as far as the configured number of proxies."""
    proxies = getattr(settings, "NUM_PROXIES", 0)
    if proxies:
        forwarded_for: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    remote: str = request.META.get("REMOTE_ADDR", "unknown")
    return remote


def _window(scope: str, key: str, rate: str | None) -> tuple[int, int, int, str]:
    limit, window = parse_rate(rate or settings.RATE_LIMITS[scope])
    now = int(time.time())
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return limit, window, now, f"rl:{scope}:{digest}:{now // window}"


def ratelimit_check(*, scope: str, key: str, rate: str | None = None, fail_open: bool = False) -> None:
    """Raise RateLimited if `key` already spent its window under `scope`, without counting an attempt.

    For budgets of failures (e.g. refused tokens per IP): checked before the work, counted with `ratelimit_hit`
    only when the work fails, so well-behaved traffic never spends it.
    """
    limit, window, now, cache_key = _window(scope, key, rate)
    try:
        count = cache.get(cache_key) or 0
    except Exception as exc:
        if fail_open:
            logger.warning("rate limit unchecked: cache unavailable", extra={"scope": scope})
            return
        raise DependencyUnavailable("Rate limiting is unavailable.", details={"dependency": "redis"}) from exc
    if count >= limit:
        raise RateLimited(retry_after=window - (now % window), details={"scope": scope})


def ratelimit_hit(*, scope: str, key: str, rate: str | None = None, fail_open: bool = False) -> None:
    """Count one attempt for `key` under `scope`; raise RateLimited once the window's budget is spent.

    Keys are hashed so that identifiers (usernames, phone numbers) never sit in Redis in plaintext.
    `fail_open` lets general traffic through when Redis is down; auth, OTP and alias scopes never do.
    """
    limit, window, now, cache_key = _window(scope, key, rate)
    try:
        cache.add(cache_key, 0, timeout=window + 1)
        count = cache.incr(cache_key)
    except ValueError:
        # The key expired between add and incr: this request opens a new window.
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    except Exception as exc:  # redis errors differ per client library; all mean "cannot check"
        if fail_open:
            logger.warning("rate limit unchecked: cache unavailable", extra={"scope": scope})
            return
        raise DependencyUnavailable("Rate limiting is unavailable.", details={"dependency": "redis"}) from exc
    if count > limit:
        raise RateLimited(retry_after=window - (now % window), details={"scope": scope})


class ScopedRateLimit(BaseThrottle):
    """DRF throttle: `throttle_scope` on the view picks the rate; counted per client IP and per user."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        scope = getattr(view, "throttle_scope", FAIL_OPEN_SCOPE)
        fail_open = scope == FAIL_OPEN_SCOPE
        ratelimit_hit(scope=scope, key=f"ip:{client_ip(request)}", fail_open=fail_open)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            ratelimit_hit(scope=scope, key=f"user:{user.pk}", fail_open=fail_open)
        return True

    def errors_for(self, view: APIView) -> tuple[type[LykosError], ...]:
        """The refusals the schema documents for `view` (lykos.api.AutoSchema): a scope that fails open never 503s."""
        if getattr(view, "throttle_scope", FAIL_OPEN_SCOPE) == FAIL_OPEN_SCOPE:
            return (RateLimited,)
        return RATE_LIMIT_ERRORS

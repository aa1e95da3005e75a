"""Which platform is calling an OAuth endpoint, known only once the toolkit has authenticated it.

The per-platform rules (rate limit, metering) used to run on a client id read from a Basic header or the body
before anything checked its secret, so a forged header spent another platform's budget and inflated its usage.
Now the request validator admits a platform only after it proved itself (client secret, or a valid access
token of that platform), and the rules run at that moment, before the endpoint does any work for it. Nothing is
authenticated twice (client secrets are hashed with the password hasher, which is slow on purpose).

The view that serves the endpoint opens a `platform_call` around the toolkit's dispatch; the validator, which
never sees the Django request, calls `platform_admit` from inside it. A context variable carries the one
between the other: it is per thread (and per task under ASGI), so concurrent requests never see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from apps.social_profile.services import platforms as platform_services
from lykos.ratelimit import ratelimit_check, ratelimit_hit

#: Refused client credentials per client IP; once spent, the IP's calls are refused before the toolkit checks
#: anything, so guessing secrets cannot make us run the (deliberately slow) secret hash for ever.
REFUSED_SCOPE = "oauth_client_invalid"


@dataclass
class PlatformCall:
    endpoint: str
    ip: str = ""
    #: The authenticated platform, once the validator admitted it; None while nobody proved who is calling.
    application: Any = None
    refused: bool = False


_current: ContextVar[PlatformCall | None] = ContextVar("lykos_platform_call", default=None)


@contextmanager
def platform_call(*, endpoint: str, ip: str) -> Iterator[PlatformCall]:
    """The span of one call to an OAuth endpoint: what `platform_admit` records into. RateLimited when `ip`
    already spent its budget of refused credentials."""
    ratelimit_check(scope=REFUSED_SCOPE, key=f"ip:{ip}")
    call = PlatformCall(endpoint=endpoint, ip=ip)
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


def platform_admit(*, application: Any) -> None:
    """An authenticated platform is calling: apply its rate limit (RateLimited propagates) and meter the call.

    Once per call: the toolkit may authenticate the same client more than once while serving one request.
    Outside a `platform_call` (the validator used by something else than our views) nothing is metered.
    """
    call = _current.get()
    if call is None or call.application is not None:
        return
    platform_services.platform_ratelimit_hit(application=application)
    call.application = application
    platform_services.platform_call_record(application=application, endpoint=call.endpoint)


def platform_refused() -> None:
    """The caller's credentials were refused: count it against its IP (once per call)."""
    call = _current.get()
    if call is None or call.refused or call.application is not None:
        return
    call.refused = True
    ratelimit_hit(scope=REFUSED_SCOPE, key=f"ip:{call.ip}")


def platform_calling() -> Any:
    """The platform the current call authenticated as, or None (then nothing is to be shown to anyone)."""
    call = _current.get()
    return call.application if call is not None else None

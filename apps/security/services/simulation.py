"""Running the configured simulator, with identical requests at the same block served from Redis: a block's state
never changes, so neither does the answer."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.core.cache import cache
from prometheus_client import Counter, Histogram

from apps.security.adapters import SimulationRequest, SimulationTrace, get_simulator
from apps.security.conf import security_settings

if TYPE_CHECKING:
    from apps.chain.models import Chain

SIMULATION_CACHE = Counter(
    "lykos_security_simulation_cache_total",
    "Simulation results served from Redis (hit) or the backend (miss)",
    ["result"],
)
SIMULATION_SECONDS = Histogram("lykos_security_simulation_seconds", "Backend simulation latency", ["backend"])


def simulation_run(*, chain: Chain, request: SimulationRequest) -> tuple[SimulationTrace, bool]:
    """The trace, and whether it came from the cache."""
    simulator = get_simulator(chain)
    material = json.dumps(
        {"backend": simulator.name, "block": request.block_number, **request.as_json()}, sort_keys=True
    )
    key = "security:sim:" + hashlib.sha256(material.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        SIMULATION_CACHE.labels(result="hit").inc()
        return SimulationTrace.from_json(cached), True
    SIMULATION_CACHE.labels(result="miss").inc()
    with SIMULATION_SECONDS.labels(backend=simulator.name).time():
        trace = simulator.simulate(request)
    cache.set(key, trace.as_json(), timeout=security_settings.SIMULATION_CACHE_SECONDS)
    return trace, False

"""The only code of this app that talks to an outside system: the simulator backends (the chain's own node, the
default, and Tenderly), behind one interface (`base.Simulator`) and one factory (`get_simulator`)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from apps.chain.clients import get_node_client
from apps.security.adapters.base import Frame, Log, SimulationRequest, SimulationTrace, Simulator
from apps.security.adapters.node import NodeTraceSimulator
from apps.security.adapters.tenderly import TenderlySimulator
from apps.security.conf import security_settings

if TYPE_CHECKING:
    from apps.chain.models import Chain

__all__ = [
    "Frame",
    "Log",
    "NodeTraceSimulator",
    "SimulationRequest",
    "SimulationTrace",
    "Simulator",
    "TenderlySimulator",
    "get_simulator",
]


@lru_cache(maxsize=8)
def _tenderly(*, base_url: str, account: str, project: str, access_key: str, timeout: float) -> TenderlySimulator:
    """One per configuration, so its pooled HTTP session is reused across scans."""
    return TenderlySimulator(
        base_url=base_url, account=account, project=project, access_key=access_key, timeout=timeout
    )


def get_simulator(chain: Chain) -> Simulator:
    """The configured backend (SECURITY_SIMULATION_BACKEND: "node", the default, or "tenderly")."""
    backend = security_settings.SIMULATION_BACKEND
    if backend == "node":
        return NodeTraceSimulator(node=get_node_client(chain))
    if backend == "tenderly":
        required = {
            "SECURITY_TENDERLY_ACCOUNT": security_settings.TENDERLY_ACCOUNT,
            "SECURITY_TENDERLY_PROJECT": security_settings.TENDERLY_PROJECT,
            "SECURITY_TENDERLY_ACCESS_KEY": security_settings.TENDERLY_ACCESS_KEY,
        }
        if missing := [name for name, value in required.items() if not value]:
            raise ImproperlyConfigured(f"The Tenderly simulator needs {', '.join(missing)}")
        return _tenderly(
            base_url=security_settings.TENDERLY_URL,
            account=security_settings.TENDERLY_ACCOUNT,
            project=security_settings.TENDERLY_PROJECT,
            access_key=security_settings.TENDERLY_ACCESS_KEY,
            timeout=security_settings.TENDERLY_TIMEOUT_SECONDS,
        )
    raise ImproperlyConfigured(f"SECURITY_SIMULATION_BACKEND must be 'node' or 'tenderly', not {backend!r}")

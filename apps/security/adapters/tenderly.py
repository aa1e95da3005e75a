"""Tenderly's simulation API as the simulator. Transaction data leaves the operator with it, so it runs only when
configured on purpose (SECURITY_SIMULATION_BACKEND=tenderly)."""

from __future__ import annotations

from typing import Any

import requests
from django.core.exceptions import ImproperlyConfigured
from eth_utils import to_checksum_address

from apps.security.adapters.base import Frame, Log, SimulationRequest, SimulationTrace, address_or_empty, parse_int
from apps.security.errors import SimulationUnavailable


def _frame_from_tenderly(data: dict[str, Any], logs: tuple[Log, ...] = ()) -> Frame:
    return Frame(
        type=str(data.get("call_type") or data.get("type") or "CALL").upper(),
        sender=address_or_empty(data.get("from")),
        to=address_or_empty(data.get("to")),
        value=parse_int(data.get("value")),
        input=data.get("input") or "0x",
        output=data.get("output") or "0x",
        error=data.get("error") or data.get("error_reason") or "",
        gas_used=parse_int(data.get("gas_used")),
        logs=logs,
        calls=tuple(_frame_from_tenderly(c) for c in data.get("calls") or []),
    )


class TenderlySimulator:
    """Tenderly's simulation API (`POST /api/v1/account/{account}/project/{project}/simulate`, `X-Access-Key`).

    Tenderly reports logs for the whole transaction rather than per frame; they are attached to the root frame,
    which is all the decoding needs (it attributes token pulls by the call tree, not by log position).
    """

    name = "tenderly"

    def __init__(self, *, base_url: str, account: str, project: str, access_key: str, timeout: float = 10.0) -> None:
        self.url = f"{base_url.rstrip('/')}/api/v1/account/{account}/project/{project}/simulate"
        self.access_key = access_key
        self.timeout = timeout
        self.session = requests.Session()

    def simulate(self, request: SimulationRequest) -> SimulationTrace:
        body: dict[str, Any] = {
            "network_id": str(request.chain_id),
            "block_number": request.block_number,
            "from": to_checksum_address(request.sender).lower(),
            "to": to_checksum_address(request.to).lower(),
            "input": "0x" + request.data.hex(),
            "value": str(request.value),
            "gas": request.gas,
            "gas_price": "0",
            "simulation_type": "full",
            "save": False,
            "save_if_fails": False,
        }
        if request.state_overrides:
            body["state_objects"] = {addr.lower(): dict(obj) for addr, obj in request.state_overrides.items()}
        try:
            response = self.session.post(
                self.url, json=body, headers={"X-Access-Key": self.access_key}, timeout=self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SimulationUnavailable(details={"backend": self.name}) from exc
        if response.status_code in (401, 403):
            raise ImproperlyConfigured("Tenderly refused the access key (SECURITY_TENDERLY_ACCESS_KEY)")
        if response.status_code >= 400:
            raise SimulationUnavailable(details={"backend": self.name, "status": response.status_code})
        try:
            payload = response.json()
            transaction = payload["transaction"]
            info = transaction["transaction_info"]
            logs = tuple(
                Log(
                    address_or_empty(entry["raw"]["address"]),
                    tuple(t.lower() for t in entry["raw"]["topics"]),
                    entry["raw"]["data"] or "0x",
                )
                for entry in info.get("logs") or []
            )
            root = _frame_from_tenderly(info["call_trace"], logs)
            if not transaction.get("status", True) and not root.error:
                root = Frame(**{**root.__dict__, "error": transaction.get("error_message") or "execution reverted"})
            simulation_id = (payload.get("simulation") or {}).get("id")
        except (KeyError, TypeError, ValueError) as exc:
            raise SimulationUnavailable(
                "Tenderly answered in an unexpected shape.", details={"backend": self.name}
            ) from exc
        return SimulationTrace(backend=self.name, root=root, external_id=simulation_id)

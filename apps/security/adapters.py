"""Simulation backends: the chain's own node (debug_traceCall with the call tracer and logs) and Tenderly's
simulation API. Both take a SimulationRequest and return the same normalised call tree, so everything after the
simulation (decoding, deltas, risk) is backend-independent. Transaction data leaves the operator only when the
Tenderly backend is configured on purpose.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from eth_utils import to_checksum_address

from apps.chain.clients import NodeClient, get_node_client
from apps.chain.errors import ChainUnavailable
from apps.security.errors import SimulationUnavailable


def parse_int(value: Any) -> int:
    """Quantities arrive as 0x-hex (JSON-RPC) or decimal strings/numbers (Tenderly)."""
    if value is None or value == "":
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text, 16) if text.startswith(("0x", "0X")) else int(text)


def _address(value: Any) -> str:
    return to_checksum_address(value) if value else ""


@dataclass(frozen=True)
class SimulationRequest:
    """A call to simulate: `sender` calls `to` with `data` and `value` at `block_number` (with state overrides,
    e.g. the code of a not-yet-deployed account)."""

    chain_id: int
    sender: str
    to: str
    data: bytes
    value: int
    gas: int
    block_number: int
    state_overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "from": to_checksum_address(self.sender),
            "to": to_checksum_address(self.to),
            "data": "0x" + self.data.hex(),
            "value": str(self.value),
            "gas": self.gas,
            "state_overrides": self.state_overrides,
        }


@dataclass(frozen=True)
class Log:
    address: str
    topics: tuple[str, ...]
    data: str


@dataclass(frozen=True)
class Frame:
    """One call frame of the execution (the call tracer's shape, normalised)."""

    type: str
    sender: str
    to: str
    value: int
    input: str
    output: str
    error: str
    gas_used: int
    logs: tuple[Log, ...] = ()
    calls: tuple[Frame, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "from": self.sender,
            "to": self.to,
            "value": str(self.value),
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "gas_used": self.gas_used,
            "logs": [{"address": lg.address, "topics": list(lg.topics), "data": lg.data} for lg in self.logs],
            "calls": [c.as_json() for c in self.calls],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Frame:
        return cls(
            type=data["type"],
            sender=data["from"],
            to=data["to"],
            value=int(data["value"]),
            input=data["input"],
            output=data["output"],
            error=data["error"],
            gas_used=int(data["gas_used"]),
            logs=tuple(Log(lg["address"], tuple(lg["topics"]), lg["data"]) for lg in data["logs"]),
            calls=tuple(cls.from_json(c) for c in data["calls"]),
        )


@dataclass(frozen=True)
class SimulationTrace:
    """What a backend returns: the root frame (its `error` set when the call reverted) and the backend's id."""

    backend: str
    root: Frame
    external_id: str | None = None

    @property
    def success(self) -> bool:
        return not self.root.error

    def as_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "root": self.root.as_json(), "external_id": self.external_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimulationTrace:
        return cls(backend=data["backend"], root=Frame.from_json(data["root"]), external_id=data.get("external_id"))


class Simulator(Protocol):
    name: str

    def simulate(self, request: SimulationRequest) -> SimulationTrace: ...


# --- the chain's own node ----------------------------------------------------------------------------------------


def _frame_from_call_tracer(data: dict[str, Any]) -> Frame:
    return Frame(
        type=str(data.get("type", "CALL")).upper(),
        sender=_address(data.get("from")),
        to=_address(data.get("to")),
        value=parse_int(data.get("value")),
        input=data.get("input") or "0x",
        output=data.get("output") or "0x",
        error=data.get("error") or "",
        gas_used=parse_int(data.get("gasUsed")),
        logs=tuple(
            Log(_address(lg.get("address")), tuple(t.lower() for t in lg.get("topics", [])), lg.get("data") or "0x")
            for lg in data.get("logs") or []
        ),
        calls=tuple(_frame_from_call_tracer(c) for c in data.get("calls") or []),
    )


class NodeTraceSimulator:
    """debug_traceCall with geth's callTracer (`withLog`) and state overrides: served by anvil, geth and reth."""

    name = "node"

    def __init__(self, *, node: NodeClient) -> None:
        self.node = node

    def simulate(self, request: SimulationRequest) -> SimulationTrace:
        call = {
            "from": to_checksum_address(request.sender),
            "to": to_checksum_address(request.to),
            "data": "0x" + request.data.hex(),
            "value": hex(request.value),
            "gas": hex(request.gas),
            "gasPrice": "0x0",  # the sender need not hold ETH for gas: we want the call's effects, not its fee
        }
        config: dict[str, Any] = {"tracer": "callTracer", "tracerConfig": {"withLog": True}}
        if request.state_overrides:
            config["stateOverrides"] = request.state_overrides
        try:
            result = self.node.request("debug_traceCall", [call, hex(request.block_number), config])
        except ChainUnavailable as exc:
            raise SimulationUnavailable(details={"backend": self.name, "reason": exc.message}) from exc
        return SimulationTrace(backend=self.name, root=_frame_from_call_tracer(result))


# --- Tenderly ----------------------------------------------------------------------------------------------------


def _frame_from_tenderly(data: dict[str, Any], logs: tuple[Log, ...] = ()) -> Frame:
    return Frame(
        type=str(data.get("call_type") or data.get("type") or "CALL").upper(),
        sender=_address(data.get("from")),
        to=_address(data.get("to")),
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
                    _address(entry["raw"]["address"]),
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


_tenderly_lock = threading.Lock()
_tenderly: dict[tuple[str, ...], TenderlySimulator] = {}


def get_simulator(chain: Any) -> Simulator:
    """The configured backend (SECURITY_SIMULATION_BACKEND: "node", the default, or "tenderly")."""
    backend = settings.SECURITY_SIMULATION_BACKEND
    if backend == "node":
        return NodeTraceSimulator(node=get_node_client(chain))
    if backend == "tenderly":
        missing = [
            name
            for name in ("SECURITY_TENDERLY_ACCOUNT", "SECURITY_TENDERLY_PROJECT", "SECURITY_TENDERLY_ACCESS_KEY")
            if not getattr(settings, name, "")
        ]
        if missing:
            raise ImproperlyConfigured(f"The Tenderly simulator needs {', '.join(missing)}")
        key = (
            settings.SECURITY_TENDERLY_URL,
            settings.SECURITY_TENDERLY_ACCOUNT,
            settings.SECURITY_TENDERLY_PROJECT,
            settings.SECURITY_TENDERLY_ACCESS_KEY,
        )
        with _tenderly_lock:
            if key not in _tenderly:
                _tenderly[key] = TenderlySimulator(
                    base_url=key[0],
                    account=key[1],
                    project=key[2],
                    access_key=key[3],
                    timeout=settings.SECURITY_TENDERLY_TIMEOUT_SECONDS,
                )
            return _tenderly[key]
    raise ImproperlyConfigured(f"SECURITY_SIMULATION_BACKEND must be 'node' or 'tenderly', not {backend!r}")

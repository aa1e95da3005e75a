"""The simulator interface: what a backend is asked (SimulationRequest) and what it answers (a normalised call
tree, SimulationTrace). Every backend returns the same shape, so everything after the simulation (decoding, deltas,
risk) is backend-independent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_utils import to_checksum_address


def parse_int(value: Any) -> int:
    """Quantities arrive as 0x-hex (JSON-RPC) or decimal strings/numbers (Tenderly)."""
    if value is None or value == "":
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text, 16) if text.startswith(("0x", "0X")) else int(text)


def address_or_empty(value: Any) -> str:
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

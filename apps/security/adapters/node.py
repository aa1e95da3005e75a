"""The chain's own node as the simulator: debug_traceCall with geth's call tracer, logs included, and state overrides.
The default backend: transaction data never leaves the operator."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from apps.chain.clients import NodeClient
from apps.chain.errors import ChainUnavailable
from apps.security.adapters.base import Frame, Log, SimulationRequest, SimulationTrace, address_or_empty, parse_int
from apps.security.errors import SimulationUnavailable


def _frame_from_call_tracer(data: dict[str, Any]) -> Frame:
    return Frame(
        type=str(data.get("type", "CALL")).upper(),
        sender=address_or_empty(data.get("from")),
        to=address_or_empty(data.get("to")),
        value=parse_int(data.get("value")),
        input=data.get("input") or "0x",
        output=data.get("output") or "0x",
        error=data.get("error") or "",
        gas_used=parse_int(data.get("gasUsed")),
        logs=tuple(
            Log(
                address_or_empty(lg.get("address")),
                tuple(t.lower() for t in lg.get("topics", [])),
                lg.get("data") or "0x",
            )
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

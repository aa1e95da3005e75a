"""The Tenderly backend behind the same interface, against a local HTTP server that speaks Tenderly's simulate API
(the one allowed fake: Tenderly cannot be reached from a test machine, and must not see test data)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from apps.security.errors import SimulationUnavailable
from apps.security.models import TransactionSimulation
from tests.support.security import call, fresh_eoa, kinds

pytestmark = pytest.mark.django_db
TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


class FakeTenderly:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: tuple[int, dict[str, Any]] = (500, {})


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


@pytest.fixture
def tenderly(settings) -> Iterator[tuple[FakeTenderly, str]]:  # type: ignore[no-untyped-def]
    state = FakeTenderly()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "key": self.headers.get("X-Access-Key"), "body": body})
            status, reply = state.reply
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SECURITY_SIMULATION_BACKEND = "tenderly"
    settings.SECURITY_TENDERLY_URL = url
    settings.SECURITY_TENDERLY_ACCOUNT = "lykos"
    settings.SECURITY_TENDERLY_PROJECT = "wallet"
    settings.SECURITY_TENDERLY_ACCESS_KEY = "test-access-key"
    try:
        yield state, url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_tenderly_backend_gives_the_same_decoded_effects(scene, tenderly) -> None:  # type: ignore[no-untyped-def]
    state, _ = tenderly
    friend = fresh_eoa()
    amount = 7 * 10**18
    entry_point = scene.chain.entry_point.lower()
    state.reply = (
        200,
        {
            "transaction": {
                "status": True,
                "gas_used": 61234,
                "error_message": "",
                "transaction_info": {
                    "call_trace": {
                        "call_type": "CALL",
                        "from": entry_point,
                        "to": scene.address.lower(),
                        "value": "0",
                        "gas_used": 61234,
                        "input": "0x",
                        "output": "0x",
                        "calls": [
                            {
                                "call_type": "CALL",
                                "from": scene.address.lower(),
                                "to": scene.token.address.lower(),
                                "value": "0",
                                "gas_used": 30000,
                                "input": "0xa9059cbb",
                                "output": "0x",
                                "calls": None,
                            },
                            {
                                "call_type": "CALL",
                                "from": scene.address.lower(),
                                "to": friend.lower(),
                                "value": "0x" + (10**17).to_bytes(8, "big").hex(),
                                "gas_used": 0,
                                "input": "0x",
                            },
                        ],
                    },
                    "logs": [
                        {
                            "name": "Transfer",
                            "raw": {
                                "address": scene.token.address.lower(),
                                "topics": [TRANSFER, topic(scene.address), topic(friend)],
                                "data": "0x" + encode(["uint256"], [amount]).hex(),
                            },
                        }
                    ],
                },
            },
            "simulation": {"id": "sim-8f1c", "status": True},
        },
    )
    verdict = scene.scan([call(scene.token.functions.transfer(friend, amount))])

    [request] = state.requests
    assert request["path"] == "/api/v1/account/lykos/project/wallet/simulate"
    assert request["key"] == "test-access-key"
    body = request["body"]
    assert body["network_id"] == str(scene.chain.chain_id)
    assert body["from"] == entry_point and body["to"] == scene.address.lower()
    assert body["simulation_type"] == "full" and body["save"] is False
    assert isinstance(body["block_number"], int) and body["input"].startswith("0x")
    # The account is not deployed: its future code goes as a state override.
    assert body["state_objects"][scene.address.lower()]["code"].startswith("0x363d3d373d3d3d363d73")

    simulation = TransactionSimulation.objects.get(pk=verdict.simulation_id)
    assert simulation.backend == "tenderly"
    assert simulation.result["external_id"] == "sim-8f1c"
    assert simulation.gas_used == 61234
    assert simulation.result["balance_deltas"] == [
        {"standard": "erc20", "token": scene.token.address, "token_id": None, "amount": str(-amount)},
        {"standard": "native", "token": "", "token_id": None, "amount": str(-(10**17))},
    ]
    # The account moved its own tokens (transfer called by the account): not a third-party pull.
    assert [t["pulled"] for t in simulation.result["transfers"] if t["standard"] == "erc20"] == [False]
    assert "balance_drain" not in kinds(verdict)


def test_a_reverted_tenderly_simulation_is_decoded(scene, tenderly) -> None:  # type: ignore[no-untyped-def]
    state, _ = tenderly
    reason = "0x08c379a0" + encode(["string"], ["paused"]).hex()
    state.reply = (
        200,
        {
            "transaction": {
                "status": False,
                "error_message": "execution reverted",
                "transaction_info": {
                    "call_trace": {
                        "call_type": "CALL",
                        "from": scene.chain.entry_point,
                        "to": scene.address,
                        "value": "0",
                        "gas_used": 25000,
                        "input": "0x",
                        "output": reason,
                        "error": "execution reverted",
                    },
                    "logs": [],
                },
            },
            "simulation": {"id": "sim-rev"},
        },
    )
    verdict = scene.scan([call(scene.token.functions.transfer(fresh_eoa(), 1))])
    assert TransactionSimulation.objects.get(pk=verdict.simulation_id).revert_reason == "paused"
    assert "simulation_reverted" in kinds(verdict)


def test_tenderly_errors_are_typed(scene, tenderly) -> None:  # type: ignore[no-untyped-def]
    state, _ = tenderly
    state.reply = (502, {"error": "bad gateway"})
    with pytest.raises(SimulationUnavailable):
        scene.scan([call(scene.token.functions.transfer(fresh_eoa(), 2))])
    state.reply = (200, {"unexpected": True})
    with pytest.raises(SimulationUnavailable):
        scene.scan([call(scene.token.functions.transfer(fresh_eoa(), 3))])

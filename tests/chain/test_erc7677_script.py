"""contracts/erc7677_client.mjs: viem's ERC-7677 paymaster client, sponsored by our paymaster, included by alto.

The endpoint here is a stand-in for the Django `/rpc/paymaster` view: a loopback JSON-RPC server that answers
pm_getPaymasterStubData / pm_getPaymasterData with apps.chain.paymaster_data (dummy data, then the signer's signature
over the op viem estimated). viem decides when to call it; the test checks that it did, signs the printed op with
the passkey and sends it to alto.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from apps.chain import paymaster_data, userops
from apps.chain.clients import get_bundler_client
from apps.chain.dev import DevChain, paymaster_deposit
from apps.chain.userops import Call, UserOperation
from tests.support.accounts import ORIGIN, Wallet, latest_timestamp, signer_of
from tests.support.sponsored import paymaster_key, run_erc7677_client

BURN = "0x000000000000000000000000000000000000dEaD"
POLICY_ID = "sp_test_policy"


@dataclass
class PaymasterEndpoint:
    """ERC-7677 stand-in: sponsors ops for POLICY_ID on one chain, signs with the chain's paymaster key."""

    chain: DevChain
    w3: Web3
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    def handle(self, method: str, params: list[Any]) -> Any:
        op_json, entry_point, chain_id, context = params
        self.calls.append((method, op_json))
        if entry_point.lower() != self.chain.entry_point.lower() or int(chain_id, 16) != self.chain.chain_id:
            raise ValueError("unsupported chain or entry point")
        if (context or {}).get("policyId") != POLICY_ID:
            raise ValueError("unknown sponsorship policy")
        if method == "pm_getPaymasterStubData":
            return {
                "paymaster": self.chain.paymaster,
                "paymasterData": "0x" + paymaster_data.dummy_paymaster_data().hex(),
                "paymasterVerificationGasLimit": hex(paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT),
                "paymasterPostOpGasLimit": hex(paymaster_data.PAYMASTER_POST_OP_GAS_LIMIT),
                "isFinal": False,
            }
        if method == "pm_getPaymasterData":
            op = UserOperation.from_rpc(op_json)
            if op.paymaster_verification_gas_limit != paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT:
                raise ValueError("paymaster gas limits differ from the stub's")
            data = paymaster_data.sign_paymaster_data(
                op,
                paymaster=self.chain.paymaster,
                chain_id=self.chain.chain_id,
                valid_after=0,
                valid_until=latest_timestamp(self.w3) + 600,  # chain time: other tests move the clock
                private_key=paymaster_key(self.chain),
            )
            return {"paymaster": self.chain.paymaster, "paymasterData": "0x" + data.hex()}
        raise LookupError(method)


@pytest.fixture
def endpoint(devchain: DevChain, w3: Web3) -> Iterator[PaymasterEndpoint]:
    state = PaymasterEndpoint(devchain, w3)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                answer = {"jsonrpc": "2.0", "id": body["id"], "result": state.handle(body["method"], body["params"])}
            except LookupError as exc:
                answer = {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32601, "message": str(exc)}}
            except ValueError as exc:
                answer = {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32602, "message": str(exc)}}
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/rpc/paymaster"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _run_script(wallet: Wallet, endpoint: PaymasterEndpoint, calls: list[Call], policy_id: str) -> Any:
    return run_erc7677_client(wallet, paymaster_url=endpoint.url, calls=calls, policy_id=policy_id)


def test_viem_erc7677_client_prepares_an_op_that_alto_includes(
    devchain: DevChain, w3: Web3, endpoint: PaymasterEndpoint
) -> None:
    wallet = Wallet.new(devchain, w3)
    assert w3.eth.get_balance(wallet.address) == 0 and not wallet.deployed
    calls = [Call(target=BURN), Call(target=BURN, data=b"\x12\x34")]

    result = _run_script(wallet, endpoint, calls, POLICY_ID)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)

    # viem asked our endpoint for stub data first, then for the real data over the estimated op.
    assert [method for method, _ in endpoint.calls] == ["pm_getPaymasterStubData", "pm_getPaymasterData"]
    stub_request, data_request = (op for _, op in endpoint.calls)
    assert stub_request["sender"] == data_request["sender"] == wallet.address
    assert int(data_request["callGasLimit"], 16) > 0 and int(data_request["preVerificationGas"], 16) > 0

    op = UserOperation.from_rpc(printed)
    assert op.sender == wallet.address and op.nonce == 0
    assert op.factory == devchain.factory  # undeployed: viem kept the factory args
    assert op.call_data == userops.encode_execute(calls)  # the script's ERC-7821 encoding matches ours
    assert op.paymaster == devchain.paymaster
    assert op.paymaster_verification_gas_limit == paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT
    assert op.signature == userops.dummy_account_signature(signer=signer_of(devchain, wallet.owner), origin=ORIGIN)
    assert (op.max_fee_per_gas, op.max_priority_fee_per_gas) == get_bundler_client(devchain).gas_price()
    # The printed paymasterData is the endpoint's signature over exactly the printed op.
    valid_after, valid_until, signature = paymaster_data.decode_paymaster_data(op.paymaster_data)
    digest = paymaster_data.paymaster_typed_data_hash(
        op, paymaster=devchain.paymaster, chain_id=devchain.chain_id, valid_after=valid_after, valid_until=valid_until
    )
    recovered = Account._recover_hash(digest, vrs=(signature[64], signature[:32], signature[32:64]))
    assert devchain.paymaster_signer is not None and recovered == devchain.paymaster_signer.address

    before = paymaster_deposit(devchain)
    receipt = wallet.send(wallet.sign(op))
    assert receipt["success"] and wallet.deployed
    assert receipt["paymaster"].lower() == devchain.paymaster.lower()
    assert before - paymaster_deposit(devchain) == int(receipt["actualGasCost"], 16)
    assert w3.eth.get_balance(wallet.address) == 0


def test_script_fails_when_the_endpoint_refuses(devchain: DevChain, w3: Web3, endpoint: PaymasterEndpoint) -> None:
    wallet = Wallet.new(devchain, w3)
    result = _run_script(wallet, endpoint, [Call(target=BURN)], "no_such_policy")
    assert result.returncode == 1 and result.stdout == ""
    error = json.loads(result.stderr)
    assert error["details"] == "unknown sponsorship policy" and error["code"] == -32602, error
    assert [method for method, _ in endpoint.calls] == ["pm_getPaymasterStubData"]

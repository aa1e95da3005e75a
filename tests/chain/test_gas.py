"""Gas of a passkey-signed ETH transfer, with and without the P-256 precompile (numbers in docs/contracts.md).

The bounds are loose on purpose: they catch a regression that moves verification cost by tens of thousands of gas
(e.g. losing the precompile path), not compiler noise. Run with `-s` to see the measured values.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from apps.chain import userops
from apps.chain.dev import DevChain
from apps.chain.userops import Call
from tests.support.accounts import Wallet

BURN = "0x000000000000000000000000000000000000dEaD"
VALIDATE_USER_OP = "0x19822f7c"  # validateUserOp((...),bytes32,uint256)
VERIFY = "0x024ad318"  # IERC7913SignatureVerifier.verify(bytes,bytes32,bytes)


def _frames(w3: Web3, tx_hash: str) -> list[dict[str, Any]]:
    trace = w3.provider.make_request("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])  # type: ignore[arg-type]
    found: list[dict[str, Any]] = []
    stack = [trace["result"]]
    while stack:
        frame = stack.pop()
        found.append(frame)
        stack.extend(frame.get("calls", []))
    return found


def measure(chain: DevChain, w3: Web3) -> dict[str, int]:
    """Deploy an account with one op, then measure a second, plain ETH transfer from it."""
    wallet = Wallet.new(chain, w3)
    wallet.fund()
    first = wallet.execute([Call(target=BURN, value=1)])
    op = wallet.sign(wallet.build([Call(target=BURN, value=10**12)]))
    receipt = wallet.send(op)
    frames = _frames(w3, receipt["receipt"]["transactionHash"])
    validate = [
        f
        for f in frames
        if f.get("to", "").lower() == wallet.address.lower() and f["input"].startswith(VALIDATE_USER_OP)
    ]
    verify = [
        f
        for f in frames
        if f.get("to", "").lower() == chain.webauthn_verifier.lower() and f["input"].startswith(VERIFY)
    ]
    assert len(validate) == 1 and len(verify) == 1
    return {
        "first_op_with_deployment": int(first["actualGasUsed"], 16),
        "transfer_actual_gas_used": int(receipt["actualGasUsed"], 16),
        "transfer_pre_verification_gas": op.pre_verification_gas,
        "validate_user_op": int(validate[0]["gasUsed"], 16),
        "webauthn_verify": int(verify[0]["gasUsed"], 16),
    }


@pytest.fixture(scope="module")
def gas_with_precompile(devchain: DevChain, w3: Web3) -> dict[str, int]:
    return measure(devchain, w3)


@pytest.fixture(scope="module")
def gas_without_precompile(prague_chain: DevChain, prague_w3: Web3) -> dict[str, int]:
    return measure(prague_chain, prague_w3)


def test_verification_with_the_precompile_is_cheap(gas_with_precompile: dict[str, int]) -> None:
    print("\nwith P-256 precompile:", gas_with_precompile)
    assert gas_with_precompile["webauthn_verify"] < 30_000
    assert gas_with_precompile["validate_user_op"] < 60_000
    assert gas_with_precompile["transfer_actual_gas_used"] < 200_000


def test_solidity_fallback_costs_a_quarter_million_more_and_fits_the_margin(
    gas_with_precompile: dict[str, int], gas_without_precompile: dict[str, int]
) -> None:
    print("\nwithout P-256 precompile:", gas_without_precompile)
    extra = gas_without_precompile["webauthn_verify"] - gas_with_precompile["webauthn_verify"]
    assert 150_000 < extra < userops.VERIFICATION_MARGIN_WITHOUT_PRECOMPILE
    assert (
        gas_without_precompile["transfer_actual_gas_used"] - gas_with_precompile["transfer_actual_gas_used"] > 150_000
    )

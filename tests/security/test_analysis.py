"""Decoding rules that the anvil scenarios do not reach: Permit2's on-chain allowance events, and effects of a
frame that reverted inside a successful call (rolled back, so not shown)."""

from __future__ import annotations

import pytest
from eth_abi import encode

from apps.security.adapters import Frame, Log, SimulationTrace
from apps.security.analysis import PERMIT2_APPROVAL, TRANSFER, analyse, decode_revert
from tests.support.security import fresh_eoa

ACCOUNT, TOKEN, SPENDER, PERMIT2 = (fresh_eoa() for _ in range(4))


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


def frame(**kwargs) -> Frame:  # type: ignore[no-untyped-def]
    base = {
        "type": "CALL",
        "sender": ACCOUNT,
        "to": TOKEN,
        "value": 0,
        "input": "0x",
        "output": "0x",
        "error": "",
        "gas_used": 1,
    }
    return Frame(**{**base, **kwargs})


def test_permit2_allowances_are_decoded_with_token_amount_and_expiry() -> None:
    log = Log(
        PERMIT2,
        (PERMIT2_APPROVAL, topic(ACCOUNT), topic(TOKEN), topic(SPENDER)),
        "0x" + encode(["uint160", "uint48"], [2**160 - 1, 2**48 - 1]).hex(),
    )
    result = analyse(SimulationTrace("node", frame(to=PERMIT2, logs=(log,))), account=ACCOUNT)
    assert result["approvals"] == [
        {
            "standard": "permit2",
            "token": TOKEN,
            "token_id": None,
            "owner": ACCOUNT,
            "spender": SPENDER,
            "amount": str(2**160 - 1),
            "expiration": 2**48 - 1,
            "via": PERMIT2,
        }
    ]


def test_effects_inside_a_reverted_subcall_are_rolled_back() -> None:
    moved = Log(TOKEN, (TRANSFER, topic(ACCOUNT), topic(SPENDER)), "0x" + encode(["uint256"], [5]).hex())
    failed = frame(error="execution reverted", logs=(moved,), calls=(frame(to=SPENDER, value=10),))
    result = analyse(SimulationTrace("node", frame(to=ACCOUNT, sender=fresh_eoa(), calls=(failed,))), account=ACCOUNT)
    assert result["success"] is True
    assert result["transfers"] == [] and result["balance_deltas"] == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("0x", "execution reverted (no reason)"),
        (
            "0x4e487b710000000000000000000000000000000000000000000000000000000000000011",
            "Panic(0x11): arithmetic overflow or underflow",
        ),
        ("0xdeadbeef", "custom error 0xdeadbeef (unknown)"),
    ],
)
def test_revert_data_is_decoded(data: str, reason: str) -> None:
    assert decode_revert(data) == reason

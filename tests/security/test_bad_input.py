"""Issue 17's "bad input → 500" cases for the scan API, kept as regressions: a message or operation that breaks the
value rules, or is not shaped like EIP-712 typed data at all, is a 400 `validation_error` naming `typed_data`."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"


def permit2(primary: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"types": {}, "primaryType": primary, "domain": {"name": "Permit2"}, "message": message}


SPENDER = "0x" + "11" * 20
BAD_MESSAGES = {
    "details-items-not-objects": permit2("PermitBatch", {"spender": SPENDER, "details": [1, "x", None]}),
    "details-a-string": permit2("PermitSingle", {"spender": SPENDER, "details": "abc"}),
    "permitted-items-not-objects": permit2("PermitBatchTransferFrom", {"spender": SPENDER, "permitted": [[1]]}),
    "bad-spender": permit2("PermitSingle", {"spender": "0xnot-an-address", "details": {"token": PERMIT2}}),
    "bad-token": permit2("PermitSingle", {"spender": SPENDER, "details": {"token": "zz", "amount": "1"}}),
    "superscript-amount": permit2("PermitSingle", {"spender": SPENDER, "details": {"token": PERMIT2, "amount": "²"}}),
    "hex-amount-zz": permit2("PermitSingle", {"spender": SPENDER, "details": {"token": PERMIT2, "amount": "0xzz"}}),
    "seaport-offer-not-objects": {
        "primaryType": "OrderComponents",
        "domain": {"name": "Seaport"},
        "message": {"offerer": SPENDER, "offer": ["x", 2], "consideration": "abc"},
    },
    "seaport-consideration-not-objects": {
        "primaryType": "OrderComponents",
        "domain": {"name": "Seaport"},
        "message": {"offerer": SPENDER, "offer": [{"itemType": 2}], "consideration": [7]},
    },
    "erc20-permit-domain-a-list": {"primaryType": "Permit", "domain": [1], "message": {"spender": SPENDER}},
    "erc20-permit-bad-contract": {
        "primaryType": "Permit",
        "domain": {"verifyingContract": 5},
        "message": {"spender": SPENDER, "value": "1"},
    },
}


@pytest.mark.parametrize("typed_data", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
def test_malformed_typed_data_is_a_validation_error(scene, typed_data) -> None:  # type: ignore[no-untyped-def]
    response = scene.wallet.authed(
        "post", "/api/v1/security/scan/message", {"chain_id": scene.chain.chain_id, "typed_data": typed_data}
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "user_op",
    [{"nonce": "zz"}, {"nonce": "0xzz"}, {"nonce": "²"}, {"nonce": "0x" + "f" * 65}, {"callData": "0xabc"}],
    ids=["nonce-zz", "nonce-0xzz", "nonce-superscript", "nonce-too-big", "odd-calldata"],
)
def test_malformed_user_operation_fields_are_validation_errors(scene, user_op) -> None:  # type: ignore[no-untyped-def]
    calls = [{"target": SPENDER, "value": "0", "data": "0x"}]
    response = scene.wallet.authed(
        "post",
        "/api/v1/security/scan/user-operation",
        {"chain_id": scene.chain.chain_id, "calls": calls, "user_op": {"sender": SPENDER, **user_op}},
    )
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("value", ["²", "٣", " 7", "1_000", "+1", "0b1", 1.5, True, -1, str(2**256)])
def test_call_values_that_int_would_misread_are_refused(scene, value) -> None:  # type: ignore[no-untyped-def]
    response = scene.wallet.authed(
        "post",
        "/api/v1/security/scan/transaction",
        {"chain_id": scene.chain.chain_id, "to": SPENDER, "value": value},
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"

"""Issue 17's "bad input → 500" cases for transactions and the ERC-7677 service, kept as regressions: numbers that
`str.isdigit()` or `int(x, 0)` would misread, gas values past the 128 bits they are packed into, and calldata with
junk after the `execute` selector are refused as bad input (400, or JSON-RPC -32602), never a server error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from apps.chain import userops
from apps.chain.userops import Call, UserOperation
from apps.paymaster.models import SponsorshipPolicy
from apps.paymaster.services import api_key_create

pytestmark = pytest.mark.django_db

TO = "0x" + "22" * 20
MISREAD = ["²", "٣", " 7", "1_000", "+1", "0b1", "0x10", "", 1.5, True, -1, str(2**256), None, [], {}]


@pytest.fixture
def signed_up(wallet):  # type: ignore[no-untyped-def]
    wallet.sign_up("bad_input")
    return wallet


@pytest.mark.parametrize("amount", MISREAD, ids=[repr(v) for v in MISREAD])
def test_transfer_amounts_that_int_would_misread_are_refused(signed_up, amount) -> None:  # type: ignore[no-untyped-def]
    body = {"chain_id": 31337, "transfer": {"token": "native", "amount": amount, "to": TO}}
    response = signed_up.authed("post", "/api/v1/transactions", body)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("value", MISREAD[:-3], ids=[repr(v) for v in MISREAD[:-3]])
def test_call_values_that_int_would_misread_are_refused(signed_up, value) -> None:  # type: ignore[no-untyped-def]
    body = {"chain_id": 31337, "calls": [{"to": TO, "value": value, "data": "0x"}]}
    response = signed_up.authed("post", "/api/v1/transactions", body)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("intent", [{"calls": None}, {"transfer": None}, {"calls": [1]}, {"transfer": "x"}])
def test_intents_of_the_wrong_shape_are_refused(signed_up, intent) -> None:  # type: ignore[no-untyped-def]
    response = signed_up.authed("post", "/api/v1/transactions", {"chain_id": 31337, **intent})
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("chain_id", ["²", "٣", "0x1", "-1", "1.5", "zz", str(2**64)])
def test_a_chain_id_filter_that_is_not_a_number_is_refused(signed_up, chain_id) -> None:  # type: ignore[no-untyped-def]
    response = signed_up.client.get(
        "/api/v1/transactions",
        {"chain_id": chain_id},
        HTTP_AUTHORIZATION=f"Bearer {signed_up.tokens['access_token']}",
    )
    assert response.status_code == 400, response.content


def test_execute_calldata_with_junk_after_the_selector_is_not_a_batch() -> None:
    selector = userops.encode_execute([Call(target=TO)])[:4]
    for junk in (b"", b"\x01", b"\xff" * 31, b"\xff" * 64, b"\x00" * 32 + b"\xff" * 32, b"\xff" * 200):
        with pytest.raises(ValueError):
            userops.decode_execute(selector + junk)


def rpc(op: dict[str, Any], key: str, chain_id: int, entry_point: str) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": "pm_getPaymasterStubData", "params": [op, entry_point, hex(chain_id)]}
    return Client().post("/rpc/paymaster", data=json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key)


@pytest.fixture
def erc7677_key(sponsor_chain) -> str:  # type: ignore[no-untyped-def]
    policy = SponsorshipPolicy.objects.create(name="Bad input", global_budget_wei=10**18, deny_risky_operations=False)
    return api_key_create(name="Bad input", policies=[policy])[1]


def test_erc7677_refuses_junk_calldata_gas_past_128_bits_and_bad_numbers(sponsor_chain, erc7677_key) -> None:  # type: ignore[no-untyped-def]
    chain = sponsor_chain
    base = UserOperation(sender=TO, nonce=0, call_data=userops.encode_execute([Call(target=TO)])).to_rpc()
    selector = "0x" + userops.encode_execute([Call(target=TO)])[:4].hex()
    # Junk after the selector is not our batch: the op is still judged (as one opaque call), not a 500.
    for junk in ("", "01", "ff" * 64, "00" * 32 + "ff" * 32):
        response = rpc({**base, "callData": selector + junk}, erc7677_key, chain.chain_id, chain.entry_point)
        assert response.status_code == 200, response.content
        assert "result" in response.json() or response.json()["error"]["code"] in (-32000, -32602)
    for field in ("callGasLimit", "verificationGasLimit", "maxFeePerGas", "maxPriorityFeePerGas"):
        for number in (hex(2**128), hex(2**256 - 1)):
            response = rpc({**base, field: number}, erc7677_key, chain.chain_id, chain.entry_point)
            assert response.status_code == 200 and response.json()["error"]["code"] == -32602, response.content
    for nonce in ("zz", "0xzz", "²", "0b1", "", hex(2**256)):
        response = rpc({**base, "nonce": nonce}, erc7677_key, chain.chain_id, chain.entry_point)
        assert response.status_code == 200 and response.json()["error"]["code"] == -32602, response.content

"""/rpc/paymaster's envelope without a chain: keys, rate limits, malformed bodies and batches."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from apps.paymaster.models import SponsorshipPolicy
from apps.paymaster.services import api_key_create

pytestmark = pytest.mark.django_db

URL = "/rpc/paymaster"


@pytest.fixture
def key() -> str:
    policy = SponsorshipPolicy.objects.create(name="Envelope", global_budget_wei=10**18)
    return api_key_create(name="Envelope", policies=[policy])[1]


def post(body: Any, *, key: str | None = None, raw: bytes | None = None) -> Any:
    return Client().post(
        URL,
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers={"X-Api-Key": key} if key else {},
    )


def call(method: str, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": []}


def test_a_missing_or_unknown_key_is_a_401_with_a_json_rpc_error(key: str) -> None:
    missing = post(call("pm_getPaymasterStubData"))
    assert missing.status_code == 401
    assert missing.json()["error"] == {"code": -32001, "message": "An API key is required in the X-Api-Key header."}
    unknown = post(call("pm_getPaymasterStubData"), key="pm_wrong")
    assert unknown.status_code == 401 and unknown.json()["error"]["message"] == "Unknown or disabled API key."
    header = post(call("pm_nope"), key=key)
    assert header.status_code == 200 and header.json()["error"]["code"] == -32601


def test_a_key_in_the_query_string_is_refused_even_when_valid(key: str) -> None:
    """URLs are logged by proxies and servers: a key sent there is never used, and the answer says where it goes."""
    for query in (f"?apikey={key}", f"?APIKEY={key}"):
        response = Client().post(
            URL + query, data=json.dumps(call("pm_nope")), content_type="application/json", headers={"X-Api-Key": key}
        )
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == -32001 and "X-Api-Key header" in error["message"] and "rotate" in error["message"]


def test_a_body_that_is_not_json_is_a_parse_error_answered_with_200(key: str) -> None:
    response = post(None, key=key, raw=b"{not json")
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error."}}


def test_a_batch_is_answered_call_by_call(key: str) -> None:
    response = post(
        [call("pm_nope", 1), {"id": 2, "method": "pm_getPaymasterStubData"}, call("pm_getPaymasterData", 3)], key=key
    )
    assert response.status_code == 200
    first, second, third = response.json()
    assert first == {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Unknown method 'pm_nope'."}}
    assert second["id"] == 2 and second["error"]["code"] == -32600
    assert third["id"] == 3 and third["error"] == {
        "code": -32602,
        "message": "Expected [userOp, entryPoint, chainId, context?].",
    }


def test_the_rate_limit_answers_429_with_retry_after(key: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "paymaster_rpc": "1/m"}
    assert post(call("pm_nope"), key=key).status_code == 200
    limited = post(call("pm_nope"), key=key)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == -32005


SENDER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
ENTRY_POINT = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"
OP = {"sender": SENDER, "nonce": "0x0", "callData": "0x", "signature": "0x"}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ([{**OP, "nonce": "²"}, ENTRY_POINT, "0x7a69"], "nonce"),
        ([{**OP, "nonce": "0x1_0"}, ENTRY_POINT, "0x7a69"], "nonce"),
        ([{**OP, "callGasLimit": hex(2**128)}, ENTRY_POINT, "0x7a69"], "callGasLimit"),
        ([{**OP, "callData": "0xabc"}, ENTRY_POINT, "0x7a69"], "callData"),
        ([{**OP, "callData": "0xa9059cbb zz"}, ENTRY_POINT, "0x7a69"], "callData"),
        ([{**OP, "sender": SENDER.lower()[:-1] + "D"}, ENTRY_POINT, "0x7a69"], "checksum"),
        ([{**OP, "sender": None}, ENTRY_POINT, "0x7a69"], "sender"),
        ([OP, ENTRY_POINT.lower()[:-1] + "X", "0x7a69"], "address"),
        ([OP, ENTRY_POINT, "31337"], "quantity"),  # a chain id is a quantity: hex, never a decimal string
        ([OP, ENTRY_POINT, True], "quantity"),
        ([OP, ENTRY_POINT, "0x0"], "chain id"),
        (["not an op", ENTRY_POINT, "0x7a69"], "expected an object"),
    ],
)
def test_params_that_break_the_value_rules_are_invalid_params_naming_what(key: str, params, named: str) -> None:  # type: ignore[no-untyped-def]
    body = {"jsonrpc": "2.0", "id": 7, "method": "pm_getPaymasterStubData", "params": params}
    answer = post(body, key=key)
    assert answer.status_code == 200
    error = answer.json()["error"]
    assert error["code"] == -32602 and named in error["message"], error

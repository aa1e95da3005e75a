"""The scan API's refusals: authentication, ownership (404 for anyone else's scans and accounts), validation, and
the rate limit on scans."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.support.security import call, fresh_eoa

pytestmark = pytest.mark.django_db


def test_scan_transaction_simulates_a_call_from_your_account(scene) -> None:  # type: ignore[no-untyped-def]
    friend = fresh_eoa()
    data = call(scene.token.functions.transfer(friend, 3 * 10**18)).data
    response = scene.wallet.authed(
        "post",
        "/api/v1/security/scan/transaction",
        {"chain_id": scene.chain.chain_id, "to": scene.token.address, "data": "0x" + data.hex()},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["simulation"]["status"] == "success"
    assert body["simulation"]["balance_deltas"] == [
        {"standard": "erc20", "token": scene.token.address, "token_id": None, "amount": str(-3 * 10**18)}
    ]


def test_someone_elses_scan_is_not_found(scene, make_wallet) -> None:  # type: ignore[no-untyped-def]
    mine = scene.api_scan([call(scene.token.functions.transfer(fresh_eoa(), 1))])
    other = make_wallet()
    other.sign_up("nosy_neighbour")
    assert other.authed("get", f"/api/v1/security/simulations/{mine['simulation_id']}").status_code == 404
    response = other.authed(
        "post", "/api/v1/security/feedback", {"simulation_id": mine["simulation_id"], "decision": "proceeded"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    own = scene.wallet.authed("get", f"/api/v1/security/simulations/{mine['simulation_id']}")
    assert own.status_code == 200 and own.json()["simulation_id"] == mine["simulation_id"]


def test_a_user_op_for_someone_elses_account_or_an_unknown_chain_is_not_found(scene) -> None:  # type: ignore[no-untyped-def]
    transfer = call(scene.token.functions.transfer(fresh_eoa(), 1))
    calls = [{"target": transfer.target, "value": "0", "data": "0x" + transfer.data.hex()}]
    foreign = {"sender": fresh_eoa(), "nonce": "0x0", "callData": "0x", "factoryData": "0x"}
    response = scene.wallet.authed(
        "post",
        "/api/v1/security/scan/user-operation",
        {"chain_id": scene.chain.chain_id, "calls": calls, "user_op": foreign},
    )
    assert response.status_code == 404
    response = scene.wallet.authed("post", "/api/v1/security/scan/user-operation", {"chain_id": 999, "calls": calls})
    assert response.status_code == 404


def test_bad_input_is_a_validation_error_and_no_token_is_401(scene) -> None:  # type: ignore[no-untyped-def]
    bad = scene.wallet.authed(
        "post",
        "/api/v1/security/scan/user-operation",
        {"chain_id": scene.chain.chain_id, "calls": [{"target": "0x12", "value": "-1", "data": "zz"}]},
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]["fields"]["calls"]["0"]) == {"target", "value", "data"}
    empty = scene.wallet.authed("post", "/api/v1/security/scan/user-operation", {"chain_id": 1, "calls": []})
    assert empty.status_code == 400
    anonymous = APIClient().post("/api/v1/security/scan/message", {}, format="json")
    assert anonymous.status_code == 401


def test_scans_are_rate_limited(scene, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "security_scan": "2/m"}
    transfer = call(scene.token.functions.transfer(fresh_eoa(), 1))
    body = {"chain_id": scene.chain.chain_id, "to": transfer.target, "data": "0x" + transfer.data.hex()}
    statuses = [scene.wallet.authed("post", "/api/v1/security/scan/transaction", body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = scene.wallet.authed("post", "/api/v1/security/scan/transaction", body)
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) >= 1

"""Driving transactions through the API: prepare, sign, wait for a final status; funding and account lookups.

Used by the paymaster tests against the real stack (anvil + EntryPoint v0.8 + our contracts + alto) and a
Celery worker that follows receipts.
"""

from __future__ import annotations

import time
from typing import Any

from apps.chain.models import Account

TERMINAL = {"included", "failed", "dropped", "expired"}


def fund(w3, devchain, address: str, wei: int) -> None:  # type: ignore[no-untyped-def]
    sender = devchain.funded_keys[3].address
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": sender, "to": address, "value": wei}))


def account_of(tokens: dict[str, Any], chain_id: int) -> Account:
    return Account.objects.get(user_id=tokens["user"]["id"], chain_id=chain_id)


def prepare(wallet, body: dict[str, Any], *, key: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return wallet.client.post(
        "/api/v1/transactions",
        body,
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {wallet.tokens['access_token']}",
        **extra,
    )


def sign(
    wallet,
    prepared: dict[str, Any],
    *,
    tx_id: str | None = None,
    credential: dict | None = None,
    key: str | None = None,
):  # type: ignore[no-untyped-def]
    credential = credential or wallet.authenticator.get(prepared["publicKey"])
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return wallet.client.post(
        f"/api/v1/transactions/{tx_id or prepared['id']}/sign",
        {"credential": credential},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {wallet.tokens['access_token']}",
        **extra,
    )


def wait_final(wallet, tx_id: str, timeout: float = 60.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = wallet.authed("get", f"/api/v1/transactions/{tx_id}").json()
        if body["status"] in TERMINAL:
            return body
        time.sleep(0.2)
    raise AssertionError(f"transaction {tx_id} not final after {timeout} s: {body}")

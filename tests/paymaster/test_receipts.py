"""A bundler receipt settles an operation in one transaction; a landed one is announced to other apps after commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.identity.models import RewardEntry
from apps.paymaster.models import Transaction
from apps.paymaster.services import transaction_receipt_apply
from apps.paymaster.signals import operation_included
from apps.security.models import Counterparty
from tests.support.transactions import account_of

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENT = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def announced() -> Iterator[list[tuple[str, str, bool]]]:
    """What `operation_included` listeners saw: (transaction id, its status, whether a transaction was open)."""
    seen: list[tuple[str, str, bool]] = []

    def listener(sender: Any, tx: Transaction, **kwargs: Any) -> None:
        seen.append((str(tx.id), tx.status, connection.in_atomic_block))

    operation_included.connect(listener, weak=False)
    yield seen
    operation_included.disconnect(listener)


def submitted(wallet, chain, username: str) -> Transaction:  # type: ignore[no-untyped-def]
    """A signed, submitted operation as the submission step leaves it (the receipt is what the test supplies)."""
    tokens = wallet.sign_up(username)
    now = timezone.now()
    calls = [{"to": RECIPIENT, "value": "1", "data": "0x"}] * 2
    return Transaction.objects.create(
        user_id=tokens["user"]["id"],
        chain=chain,
        account=account_of(tokens, chain.chain_id),
        status=Transaction.Status.SUBMITTED,
        intent={"calls": calls},
        calls=calls,
        user_op={},
        user_op_hash="0x" + username.encode().hex().ljust(64, "0"),
        nonce=0,
        max_cost_wei=10**15,
        expires_at=now + timedelta(minutes=5),
        signed_at=now,
        submitted_at=now,
    )


def receipt(*, success: bool) -> dict[str, Any]:
    return {
        "success": success,
        "actualGasCost": hex(12345),
        "actualGasUsed": hex(100),
        "reason": None if success else "0x",
        "receipt": {"transactionHash": "0x" + "ab" * 32, "blockNumber": hex(42)},
    }


def test_an_included_operation_is_settled_then_announced_once_after_commit(wallet, chain, announced) -> None:  # type: ignore[no-untyped-def]
    tx = submitted(wallet, chain, "announced")
    transaction_receipt_apply(transaction_id=tx.id, receipt=receipt(success=True))
    assert announced == [(str(tx.id), "included", False)]
    tx.refresh_from_db()
    assert (tx.actual_gas_cost_wei, tx.block_number, tx.account.deployed) == (12345, 42, True)
    assert RewardEntry.objects.filter(user=tx.user, kind="first_transaction").count() == 1
    assert list(Counterparty.objects.filter(user=tx.user).values_list("address", flat=True)) == [RECIPIENT]

    transaction_receipt_apply(transaction_id=tx.id, receipt=receipt(success=True))  # the receipt seen again
    assert len(announced) == 1


def test_a_reverted_operation_is_not_announced(wallet, chain, announced) -> None:  # type: ignore[no-untyped-def]
    tx = submitted(wallet, chain, "reverted")
    transaction_receipt_apply(transaction_id=tx.id, receipt=receipt(success=False))
    tx.refresh_from_db()
    assert tx.status == "failed" and tx.revert_reason == "0x"
    assert announced == []


def test_a_failing_listener_does_not_undo_or_fail_the_settlement(wallet, chain) -> None:  # type: ignore[no-untyped-def]
    def broken(sender: Any, tx: Transaction, **kwargs: Any) -> None:
        raise RuntimeError("listener bug")

    operation_included.connect(broken, weak=False)
    try:
        tx = submitted(wallet, chain, "broken")
        transaction_receipt_apply(transaction_id=tx.id, receipt=receipt(success=True))
    finally:
        operation_included.disconnect(broken)
    tx.refresh_from_db()
    assert tx.status == "included"

"""Sending a signed operation to the bundler once, and following it to its receipt.

The send happens under the transaction's row lock precisely so that only one process can send; a bundler that is
down leaves the operation `signed` for a retry. The receipt settles everything the landing changes in one
transaction; work in other apps that the landing triggers is announced after commit (`operation_included`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.chain.clients import get_bundler_client, hex_quantity
from apps.chain.errors import BundlerError, BundlerUnavailable
from apps.chain.services import account_mark_deployed
from apps.identity.services import RewardKind, reward_credit
from apps.paymaster.audit import PaymasterAuditEvent
from apps.paymaster.models import Transaction
from apps.paymaster.services.closing import transaction_drop
from apps.paymaster.services.owners import owner_change_landed
from apps.paymaster.services.sponsorship import sponsorship_release, sponsorship_settle
from apps.paymaster.signals import operation_included
from apps.paymaster.tasks import submit_transaction_task, track_transaction_task
from apps.security import services as security
from lykos.audit.services import audit_record

logger = logging.getLogger(__name__)


def transaction_submit(*, transaction_id: uuid.UUID) -> Transaction:
    """Send a signed operation to the bundler, once. A bundler that is down leaves it `signed` for a retry."""
    with transaction.atomic():
        tx = Transaction.objects.select_for_update().select_related("chain").get(pk=transaction_id)
        if tx.status != Transaction.Status.SIGNED:
            return tx
        bundler = get_bundler_client(tx.chain)
        tx.submit_attempts += 1
        try:
            # A retry after an ambiguous failure (timeout) first asks whether the bundler already has it.
            already = tx.submit_attempts > 1 and bundler.get_user_operation_by_hash(tx.user_op_hash) is not None
            if not already:
                bundler.send_user_operation(tx.user_op, entry_point=tx.chain.entry_point)
        except BundlerUnavailable as exc:
            tx.last_error = f"bundler unavailable: {exc.message}"
            tx.save(update_fields=["submit_attempts", "last_error"])
            transaction.on_commit(lambda: submit_transaction_task.apply_async((str(tx.id),), countdown=2))
            return tx
        except BundlerError as exc:
            tx.status, tx.finished_at = Transaction.Status.FAILED, timezone.now()
            tx.last_error = f"{exc.code}: {exc.message}"[:2000]
            tx.save(update_fields=["submit_attempts", "status", "finished_at", "last_error"])
            if tx.sponsored:
                sponsorship_release(user_op_hash=tx.user_op_hash, reason="bundler_rejected")
            audit_record(
                event_type=PaymasterAuditEvent.TRANSACTION_REJECTED, subject=tx, new_values={"error": tx.last_error}
            )
            return tx
        tx.status, tx.submitted_at, tx.last_error = Transaction.Status.SUBMITTED, timezone.now(), ""
        tx.save(update_fields=["submit_attempts", "status", "submitted_at", "last_error"])
        audit_record(
            event_type=PaymasterAuditEvent.TRANSACTION_SUBMITTED,
            subject=tx,
            new_values={"attempt": tx.submit_attempts},
        )
        transaction.on_commit(lambda: track_transaction_task.apply_async((str(tx.id),), countdown=0.2))
    return tx


def transaction_track(*, transaction_id: uuid.UUID) -> bool:
    """Look for the receipt once; settle when it is there. True when the transaction reached a final state."""
    tx = Transaction.objects.select_related("chain").get(pk=transaction_id)
    if tx.status in Transaction.TERMINAL:
        return True
    if tx.status != Transaction.Status.SUBMITTED:
        return False
    bundler = get_bundler_client(tx.chain)
    receipt = bundler.get_user_operation_receipt(tx.user_op_hash)
    if receipt is None:
        deadline = tx.expires_at + timedelta(seconds=settings.TRANSACTION_DROP_GRACE_SECONDS)
        if timezone.now() > deadline and bundler.get_user_operation_by_hash(tx.user_op_hash) is None:
            transaction_drop(transaction_id=tx.id)
            return True
        return False
    transaction_receipt_apply(transaction_id=tx.id, receipt=receipt)
    return True


def transaction_receipt_apply(*, transaction_id: uuid.UUID, receipt: dict[str, Any]) -> None:
    """Settle a landed operation from its bundler receipt (ERC-7769 `eth_getUserOperationReceipt` shape).

    One transaction for everything the landing means here: the outcome, the sponsorship ledger, the account's
    deployment and owners, the first-transaction reward and the counterparties. Idempotent: a receipt seen twice
    changes nothing the second time.
    """
    with transaction.atomic():
        tx = Transaction.objects.select_for_update().select_related("account", "user").get(pk=transaction_id)
        if tx.status in Transaction.TERMINAL:
            return
        gas_cost = _record_outcome(tx, receipt)
        if tx.sponsored:
            # The paymaster paid whether the calls succeeded or not.
            sponsorship_settle(user_op_hash=tx.user_op_hash, actual_gas_cost_wei=gas_cost)
        if not tx.account.deployed:
            account_mark_deployed(account_id=tx.account_id)
        if tx.success:
            reward_credit(user=tx.user, kind=RewardKind.FIRST_TRANSACTION, reference="first")
            _counterparties_record(tx)
            owner_change_landed(tx=tx)
            transaction.on_commit(lambda: _announce_included(tx))
        audit_record(
            event_type=PaymasterAuditEvent.TRANSACTION_INCLUDED
            if tx.success
            else PaymasterAuditEvent.TRANSACTION_FAILED,
            subject=tx,
            new_values={
                "success": tx.success,
                "actual_gas_cost_wei": str(tx.actual_gas_cost_wei),
                "tx_hash": tx.tx_hash,
                "block_number": tx.block_number,
            },
        )


def _record_outcome(tx: Transaction, receipt: dict[str, Any]) -> int:
    """The receipt's facts on the row: included or failed (the calls reverted), gas paid, where it landed.
    Returns the gas cost actually paid (wei)."""
    success = bool(receipt.get("success"))
    inner = receipt.get("receipt") or {}
    tx.success = success
    tx.status = Transaction.Status.INCLUDED if success else Transaction.Status.FAILED
    gas_cost = hex_quantity(receipt["actualGasCost"])
    tx.actual_gas_cost_wei = gas_cost
    tx.actual_gas_used = hex_quantity(receipt["actualGasUsed"])
    tx.tx_hash = inner.get("transactionHash", "")
    tx.block_number = hex_quantity(inner["blockNumber"]) if inner.get("blockNumber") else None
    tx.revert_reason = "" if success else (receipt.get("reason") or "reverted")[:2000]
    tx.finished_at = timezone.now()
    tx.save()
    return gas_cost


def _counterparties_record(tx: Transaction) -> None:
    """Remember whom a landed operation paid or called (security's reference for poisoning and first contact):
    transfer recipients, else the call targets other than the account itself; each address once."""
    transfer = (tx.intent or {}).get("transfer")
    if transfer:
        addresses = [transfer["to"]]
    else:
        addresses = [c["to"] for c in tx.calls if c["to"].lower() != tx.account.address.lower()]
    for address in dict.fromkeys(addresses):
        security.counterparty_record(user=tx.user, address=address)


def _announce_included(tx: Transaction) -> None:
    """After commit: a listener's failure must not make the receipt task retry a settlement that is done."""
    for receiver, result in operation_included.send_robust(sender=Transaction, tx=tx):
        if isinstance(result, Exception):
            logger.error(
                "operation_included receiver failed",
                exc_info=result,
                extra={"receiver": getattr(receiver, "__qualname__", repr(receiver)), "transaction_id": str(tx.id)},
            )

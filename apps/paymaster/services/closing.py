"""Closing operations that will never land: expired unsigned, superseded, or dropped by the bundler.

One path for all of them, so that a reservation is released exactly once, under the transaction's row lock.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from apps.paymaster.audit import PaymasterAuditEvent
from apps.paymaster.models import Transaction
from apps.paymaster.services.sponsorship import sponsorship_release
from lykos.audit.services import audit_record


def _close_unlanded(
    transaction_id: uuid.UUID, *, expected: str, final: str, reason: str, event: PaymasterAuditEvent
) -> None:
    """Move `expected` -> `final` and release the sponsorship reservation; a no-op if another process moved it."""
    with transaction.atomic():
        tx = Transaction.objects.select_for_update().get(pk=transaction_id)
        if tx.status != expected:
            return
        tx.status, tx.finished_at = final, timezone.now()
        tx.save(update_fields=["status", "finished_at"])
        if tx.sponsored:
            sponsorship_release(user_op_hash=tx.user_op_hash, reason=reason)
        audit_record(event_type=event, subject=tx, new_values={"status": final, "reason": reason})


def transaction_expire(*, transaction_id: uuid.UUID, reason: str = "expired") -> None:
    """An unsigned operation past its validity, or superseded by a newer prepare for its nonce."""
    _close_unlanded(
        transaction_id,
        expected=Transaction.Status.PREPARED,
        final=Transaction.Status.EXPIRED,
        reason=reason,
        event=PaymasterAuditEvent.TRANSACTION_EXPIRED,
    )


def transaction_drop(*, transaction_id: uuid.UUID) -> None:
    """A submitted operation the bundler no longer knows after its validity (and a grace period) ran out."""
    _close_unlanded(
        transaction_id,
        expected=Transaction.Status.SUBMITTED,
        final=Transaction.Status.DROPPED,
        reason="dropped",
        event=PaymasterAuditEvent.TRANSACTION_DROPPED,
    )


def transactions_expire_stale() -> int:
    """Periodic: prepared operations past their validity expire and release their reservations."""
    stale = list(
        Transaction.objects.filter(status=Transaction.Status.PREPARED, expires_at__lte=timezone.now()).values_list(
            "id", flat=True
        )
    )
    for tx_id in stale:
        transaction_expire(transaction_id=tx_id)
    return len(stale)

"""Submission retries and receipt tracking: thin, idempotent tasks over the services."""

from __future__ import annotations

import uuid

from celery import Task, shared_task

from apps.chain.errors import BundlerUnavailable, ChainUnavailable

_TRANSIENT = (BundlerUnavailable, ChainUnavailable)


@shared_task(bind=True, acks_late=True, max_retries=None, soft_time_limit=30, time_limit=45)
def submit_transaction_task(self: Task[[str], str], transaction_id: str) -> str:
    """Retry sending a signed op while the bundler is down; backs off to a minute, never sends twice."""
    from apps.paymaster.models import Transaction
    from apps.paymaster.services import transaction_submit

    tx = transaction_submit(transaction_id=uuid.UUID(transaction_id))
    if tx.status == Transaction.Status.SIGNED:
        raise self.retry(countdown=min(60, 2 ** min(self.request.retries, 6)))
    return tx.status


@shared_task(bind=True, acks_late=True, max_retries=200, soft_time_limit=30, time_limit=45)
def track_transaction_task(self: Task[[str], str], transaction_id: str) -> str:
    """Poll the bundler for the receipt with back-off until the operation is included, failed or dropped."""
    from apps.paymaster.models import Transaction
    from apps.paymaster.services import transaction_track

    try:
        done = transaction_track(transaction_id=uuid.UUID(transaction_id))
    except _TRANSIENT:
        done = False
    if not done:
        raise self.retry(countdown=min(10.0, 0.25 * 2 ** min(self.request.retries, 6)))
    return Transaction.objects.values_list("status", flat=True).get(pk=transaction_id)


@shared_task(acks_late=True)
def expire_prepared_transactions_task() -> int:
    from apps.paymaster.services import transactions_expire_stale

    return transactions_expire_stale()


@shared_task(acks_late=True)
def resume_in_flight_transactions_task() -> int:
    """Periodic safety net: re-enqueue work for signed/submitted operations whose task was lost."""
    from apps.paymaster.models import Transaction

    signed, submitted = Transaction.Status.SIGNED, Transaction.Status.SUBMITTED
    count = 0
    for tx_id, status in Transaction.objects.filter(status__in=[signed, submitted]).values_list("id", "status"):
        task = submit_transaction_task if status == signed else track_transaction_task
        task.delay(str(tx_id))
        count += 1
    return count


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def settle_external_sponsorships_task() -> int:
    from apps.paymaster.services import external_sponsorships_settle

    return external_sponsorships_settle()


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def reconcile_owner_removals_task() -> int:
    """Periodic: a revoked device's removal is re-sent until the node says the account no longer lists it."""
    from apps.paymaster.services import owner_removals_reconcile

    return owner_removals_reconcile()

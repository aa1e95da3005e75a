"""Platform tasks run by Celery beat: the audit chain's integrity check and the idempotency records' purge."""

from celery import shared_task

from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_chain_problems


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def verify_audit_chain_task() -> dict[str, object]:
    """Periodic integrity check of the audit log (read-only, so safe to run twice)."""
    problems = [{"event_id": p.event_id, "problem": p.problem} for p in audit_chain_problems()]
    return {"events": AuditEvent.objects.count(), "intact": not problems, "problems": problems}


@shared_task(acks_late=True)
def purge_idempotency_records_task() -> int:
    from lykos.idempotency import idempotency_records_purge

    return idempotency_records_purge()

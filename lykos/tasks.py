"""Platform tasks run by Celery beat: the audit chain's integrity check, the anchoring of its head, and the
idempotency records' purge."""

from celery import shared_task

from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_chain_problems


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def verify_audit_chain_task() -> dict[str, object]:
    """Periodic integrity check of the audit log (read-only, so safe to run twice)."""
    from lykos.audit.anchor import audit_anchor_check

    problems = [{"event_id": p.event_id, "problem": p.problem} for p in audit_chain_problems()]
    _, anchor_problem = audit_anchor_check()
    if anchor_problem:
        problems.append({"event_id": None, "problem": anchor_problem})
    return {"events": AuditEvent.objects.count(), "intact": not problems, "problems": problems}


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def anchor_audit_head_task() -> int | None:
    """Publish the audit head to the external anchor; an unchanged head publishes nothing (safe twice).
    A damaged chain raises instead of being anchored, so the failure shows in the worker's log."""
    from lykos.audit.anchor import audit_anchor_publish

    anchor = audit_anchor_publish()
    return anchor.seq if anchor else None


@shared_task(acks_late=True)
def purge_idempotency_records_task() -> int:
    from lykos.idempotency import idempotency_records_purge

    return idempotency_records_purge()

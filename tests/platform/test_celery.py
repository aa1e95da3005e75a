"""A task runs in a real Celery worker process, against the test database, over the Redis broker."""

import pytest

from lykos.audit.services import audit_record
from lykos.tasks import verify_audit_chain_task
from tests.testapp.audit import PlumbingAuditEvent


@pytest.mark.django_db(transaction=True)
def test_audit_verification_task_runs_in_a_real_worker(celery_worker) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        audit_record(event_type=PlumbingAuditEvent.WORKER_TEST, subject=str(i))
    result = verify_audit_chain_task.delay()
    assert result.get(timeout=60) == {"events": 3, "intact": True, "problems": []}
    assert celery_worker.poll() is None, "the worker process died"

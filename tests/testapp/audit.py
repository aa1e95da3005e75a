"""The audit event types the plumbing tests record (the test app is an installed app: its types are declared like
any app's)."""

from __future__ import annotations

from lykos.audit.events import AuditEventType


class PlumbingAuditEvent(AuditEventType):  # not Test...: pytest would try to collect it
    NOTE_CREATED = "note.created", "A test note was created"
    NOTE_VIEWED = "note.viewed", "A test note was viewed"
    NOTE_CHANGED = "note.changed", "A test note was changed"
    UNSEALED = "unsealed", "An event left unsealed on purpose"
    CONCURRENT = "concurrent", "One of many events recorded at once"
    WORKER_TEST = "worker.test", "An event the Celery worker test counts"

"""Cross-cutting models. Re-exported here so Django finds them; each lives in its own module."""

from lykos.audit.models import AuditEvent

__all__ = ["AuditEvent"]

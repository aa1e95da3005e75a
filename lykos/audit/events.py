"""The audit log's vocabulary: every event type is declared once, by the app that records it.

Each app subclasses `AuditEventType` (a `TextChoices` with no members of its own) in its `audit.py`, e.g.::

    class IdentityAuditEvent(AuditEventType):
        USER_REGISTERED = "user.registered", "A user signed up"

`audit_record` accepts only members of such a class, so an event name cannot be mistyped, built with an f-string,
or invented at a call site, and the admin and the export can list every type with its label.
"""

from __future__ import annotations

from django.db import models


class AuditEventType(models.TextChoices):
    """Base of every app's audit event choices (an enum with no members can be subclassed)."""


def audit_event_types() -> dict[str, str]:
    """Every declared event type and its label, across the apps that are loaded."""
    found: dict[str, str] = {}
    pending = list(AuditEventType.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for member in cls:
            if member.value in found:
                raise ValueError(f"audit event type {member.value!r} is declared twice")
            found[member.value] = str(member.label)
    return found

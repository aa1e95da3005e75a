"""What a fraud reviewer should see. Identity records the event; the security app decides what to open."""

from __future__ import annotations

import uuid
from typing import Any

from apps.identity.models import Passkey, SecurityEvent, Session
from apps.identity.signals import security_event_recorded


def security_event_record(
    *,
    user_id: uuid.UUID,
    kind: str,
    details: dict[str, Any],
    device: Passkey | None = None,
    session: Session | None = None,
) -> SecurityEvent:
    event = SecurityEvent.objects.create(user_id=user_id, device=device, session=session, kind=kind, details=details)
    security_event_recorded.send(sender=SecurityEvent, event=event)
    return event

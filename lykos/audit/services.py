"""Writing and verifying the audit chain.

Each row's hash covers its content and the previous row's hash. Appends are serialised with a
transaction-scoped advisory lock, so the chain stays linear under concurrency; the lock is held until the
caller's transaction commits, which is what makes "audit in the same transaction as the change" hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from lykos.audit.models import AuditEvent
from lykos.context import request_id_var

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x4C594B4F5341  # "LYKOSA": one app-wide key for the audit chain


def _canonical(value: Any) -> Any:
    """What a JSON column gives back, so the hash computed at write time matches the one read later."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder)) if value is not None else None


def compute_entry_hash(event: AuditEvent) -> str:
    payload = {
        "created_at": event.created_at.isoformat(),
        "event_type": event.event_type,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "old_values": event.old_values,
        "new_values": event.new_values,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _describe(obj: models.Model | str | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, models.Model):
        return obj._meta.label_lower, str(obj.pk)
    return "", str(obj)


@transaction.atomic
def audit_record(
    *,
    event_type: str,
    actor: models.Model | str | None = None,
    actor_type: str | None = None,
    subject: models.Model | str | None = None,
    old_values: dict[str, Any] | None = None,
    new_values: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction that makes the change it describes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
    if actor_type is None:
        if actor is None:
            actor_type = AuditEvent.ActorType.SYSTEM
        elif getattr(actor, "is_staff", False):
            actor_type = AuditEvent.ActorType.STAFF
        else:
            actor_type = AuditEvent.ActorType.USER
    _, actor_id = _describe(actor)
    subject_type, subject_id = _describe(subject)
    last = AuditEvent.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    event = AuditEvent(
        event_type=event_type,
        actor_type=actor_type,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        old_values=_canonical(old_values),
        new_values=_canonical(new_values),
        request_id=request_id_var.get(),
        prev_hash=last or GENESIS_HASH,
    )
    event.entry_hash = compute_entry_hash(event)
    event.save()
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def audit_chain_problems(*, batch_size: int = 2000) -> Iterator[ChainProblem]:
    """Walk the chain in order; every row whose content or link does not match is reported."""
    expected_prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev:
            yield ChainProblem(event.id, "link broken: a row before it was changed or deleted")
        if compute_entry_hash(event) != event.entry_hash:
            yield ChainProblem(event.id, "content does not match its hash: the row was modified")
        expected_prev = event.entry_hash

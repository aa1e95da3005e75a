"""Writing and verifying the audit chain.

`audit_record` inserts a row in the caller's transaction, so the event commits or rolls back with the change.
An event about a person (its subject is that person or a row they own, per the privacy registry, or they are the
non-staff actor) keeps its old/new values sealed under that person's own key (`{"sealed": "lk2$..."}`): erasure
destroys the key, so the values become unreadable while the row, and so the hash chain over it, stays intact.
`audit_seal` then chains committed rows: each row's hash covers its content, its sequence number and the
previous row's hash. Sealing runs on commit (and from the verify command and task), under an advisory lock
held only for the seal itself, never across a business transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet

from lykos.audit.events import AuditEventType, audit_event_check
from lykos.audit.models import AuditEvent
from lykos.context import request_id_var

GENESIS_HASH = "0" * 64
SEALED_KEY = "sealed"
_VALUES_AAD = b"lykos_auditevent|values"
INFER: Any = object()  # audit_record's default: the data subject is worked out from the subject and actor
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
        "seq": event.seq,
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


def _data_subject(subject: models.Model | str | None, actor: models.Model | str | None) -> str | None:
    """Whose values these are: the subject if it is a person or owned by one, else a non-staff acting person."""
    from lykos.privacy import privacy_owner_of

    user_model = get_user_model()
    if isinstance(subject, models.Model):
        owner = privacy_owner_of(subject)
        if owner:
            return owner
    if isinstance(actor, user_model) and not getattr(actor, "is_staff", False):
        return str(actor.pk)
    return None


def _seal_values(owner: str, old: Any, new: Any) -> tuple[Any, Any]:
    from lykos.crypto import ValueShredded, encrypt_bytes

    payload = json.dumps({"old": old, "new": new}, sort_keys=True, cls=DjangoJSONEncoder).encode()
    try:
        return None, {SEALED_KEY: encrypt_bytes(payload, aad=_VALUES_AAD, owner=owner)}
    except ValueShredded:
        return None, None  # the person was erased: nothing new is kept about them, not even sealed


def audit_values(event: AuditEvent) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """An event's old and new values as recorded: sealed ones decrypted, (None, None) once their owner is erased."""
    from lykos.crypto import DecryptionError, decrypt_bytes

    new = event.new_values
    if not (isinstance(new, dict) and set(new) == {SEALED_KEY} and event.old_values is None):
        return event.old_values, new
    try:
        opened = json.loads(decrypt_bytes(new[SEALED_KEY], aad=_VALUES_AAD))
    except DecryptionError:
        return None, None
    return opened["old"], opened["new"]


def audit_events_about(*, user_id: str) -> QuerySet[AuditEvent]:
    """The events a person's export holds: those sealed under their key, and the unsealed ones they acted in or
    are the subject of (never one sealed under someone else's key)."""
    sealed_prefix = f"lk2${user_id}$"
    return AuditEvent.objects.filter(
        Q(**{f"new_values__{SEALED_KEY}__startswith": sealed_prefix})
        | ((Q(actor_id=user_id) | Q(subject_id=user_id)) & ~Q(**{"new_values__has_key": SEALED_KEY}))
    ).order_by("id")


def audit_record(
    *,
    event_type: AuditEventType,
    actor: models.Model | str | None = None,
    actor_type: str | None = None,
    subject: models.Model | str | None = None,
    old_values: dict[str, Any] | None = None,
    new_values: dict[str, Any] | None = None,
    data_subject: models.Model | str | None = INFER,
) -> AuditEvent:
    """Append one event. Call it inside the transaction that makes the change it describes: both commit or
    neither does. The row is sealed into the hash chain once that transaction commits. `event_type` must be a
    member of an app's declared event types (lykos.audit.events); anything else is refused before any write.
    `data_subject` (a user or user id) overrides whose key seals the values; None keeps them in the clear."""
    audit_event_check(event_type)
    if actor_type is None:
        if actor is None:
            actor_type = AuditEvent.ActorType.SYSTEM
        elif getattr(actor, "is_staff", False):
            actor_type = AuditEvent.ActorType.STAFF
        else:
            actor_type = AuditEvent.ActorType.USER
    _, actor_id = _describe(actor)
    subject_type, subject_id = _describe(subject)
    stored_old, stored_new = _canonical(old_values), _canonical(new_values)
    if data_subject is INFER:
        owner = _data_subject(subject, actor)
    else:
        owner = None if data_subject is None else _describe(data_subject)[1]
    if owner and (stored_old or stored_new):
        stored_old, stored_new = _seal_values(owner, stored_old, stored_new)
    event = AuditEvent.objects.create(
        event_type=event_type,
        actor_type=actor_type,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        old_values=stored_old,
        new_values=stored_new,
        request_id=request_id_var.get(),
    )
    transaction.on_commit(audit_seal)
    return event


def audit_seal() -> int:
    """Chain every committed, unsealed row, in id order, after the last sealed one. Idempotent and safe to run
    concurrently (an advisory lock serialises sealers). Returns how many rows it sealed."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "entry_hash").first()
        # A sealed row has both seal columns (the model's check constraint), hence the casts.
        seq, prev = (cast(int, last["seq"]), cast(str, last["entry_hash"])) if last else (0, GENESIS_HASH)
        sealed = 0
        for event in AuditEvent.objects.filter(seq__isnull=True).order_by("id"):
            seq += 1
            event.seq, event.prev_hash = seq, prev
            event.entry_hash = compute_entry_hash(event)
            # The one UPDATE the append-only rules allow: filling the seal of an unsealed row.
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE lykos_auditevent SET seq = %s, prev_hash = %s, entry_hash = %s"
                    " WHERE id = %s AND seq IS NULL",
                    [event.seq, event.prev_hash, event.entry_hash, event.id],
                )
            prev = event.entry_hash
            sealed += 1
        return sealed


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def audit_chain_problems(*, batch_size: int = 2000) -> Iterator[ChainProblem]:
    """Seal what is pending, then walk the chain in order; every row whose content or link does not match is
    reported (a deleted row shows as a broken link on the row after it, or a gap in `seq`)."""
    audit_seal()
    expected_prev, expected_seq = GENESIS_HASH, 1
    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev or event.seq != expected_seq:
            yield ChainProblem(event.id, "link broken: a row before it was changed or deleted")
        if compute_entry_hash(event) != event.entry_hash:
            yield ChainProblem(event.id, "content does not match its hash: the row was modified")
        expected_prev, expected_seq = cast(str, event.entry_hash), cast(int, event.seq) + 1  # sealed: both set

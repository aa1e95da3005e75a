"""A user's passkey devices: add (a fresh ceremony bound to the session and to the step-up that allowed it),
rename, revoke.

Device changes are serialised per user by locking the user row, so two concurrent revokes cannot remove the
last two active passkeys, and two concurrent adds count each other for the second-device reward.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn.helpers import base64url_to_bytes

from apps.identity.audit import IdentityAuditEvent
from apps.identity.errors import ChallengeInvalid, DuplicateCredential, LastDevice
from apps.identity.models import Passkey, RewardEntry, User
from apps.identity.services import ceremonies
from apps.identity.services.rewards import reward_credit
from apps.identity.services.sessions import device_sessions_end
from apps.identity.signals import device_added, device_revoked
from lykos.audit.services import audit_record
from lykos.errors import NotFound


def passkey_create(*, user: User, verified: ceremonies.VerifiedPasskey, name: str) -> Passkey:
    """Insert a verified passkey; the same credential registered twice (even concurrently) is refused."""
    passkey = Passkey(
        user=user,
        credential_id=verified.credential_id,
        public_key_cose=verified.public_key_cose,
        public_key_x=verified.public_key_x,
        public_key_y=verified.public_key_y,
        sign_count=verified.sign_count,
        transports=verified.transports,
        aaguid=verified.aaguid,
        backup_eligible=verified.backup_eligible,
        backed_up=verified.backed_up,
        name=(name or "Passkey")[:64],
    )
    if Passkey.objects.filter(credential_id=passkey.credential_id).exists():
        raise DuplicateCredential()
    try:
        with transaction.atomic():
            passkey.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent registration of the same credential
        raise DuplicateCredential() from exc
    return passkey


def device_add_begin(*, user: User, session_id: uuid.UUID, confirmed_by: Passkey) -> dict[str, Any]:
    """Creation options for a new passkey. `confirmed_by` is the passkey whose step-up (`passkey_add`) allowed
    this ceremony: the grant is spent here, and only a ceremony begun here can finish, so both halves of the
    add are behind the step-up."""
    existing = [
        bytes(cid)
        for cid in user.passkeys.exclude(status=Passkey.Status.REVOKED).values_list("credential_id", flat=True)
    ]
    options = ceremonies.registration_options(
        user_handle=user.id.bytes,
        user_name=user.username or f"user-{user.id.hex[:8]}",
        display_name=user.display_name,
        exclude=existing,
    )
    ceremony_id = ceremonies.ceremony_start(
        ceremony="add_device",
        challenge=base64url_to_bytes(options["challenge"]),
        bound_to={"user_id": str(user.id), "session_id": str(session_id), "confirmed_by": str(confirmed_by.id)},
    )
    return {"ceremony_id": ceremony_id, "publicKey": options}


def device_add_complete(
    *,
    user: User,
    session_id: uuid.UUID,
    ceremony_id: str,
    credential: dict[str, Any],
    device_name: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Passkey:
    """Register the new passkey. `ip_address` and `user_agent` (of the request that added it) go out with
    `device_added`, for the new-device alert; they are not stored on the passkey."""
    pending = ceremonies.ceremony_consume(ceremony_id=ceremony_id, ceremony="add_device")
    bound = pending.bound_to
    if bound.get("user_id") != str(user.id) or bound.get("session_id") != str(session_id):
        raise ChallengeInvalid()
    if not bound.get("confirmed_by"):  # a ceremony begun without a step-up (none are, since step-up exists)
        raise ChallengeInvalid()
    verified = ceremonies.registration_verify(credential=credential, challenge=pending.challenge)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        passkey = passkey_create(user=user, verified=verified, name=device_name)
        audit_record(
            event_type=IdentityAuditEvent.DEVICE_ADDED,
            actor=user,
            subject=passkey,
            new_values={"name": passkey.name, "confirmed_by": bound["confirmed_by"]},
        )
        if user.passkeys.count() >= 2:
            reward_credit(user=user, kind=RewardEntry.Kind.SECOND_DEVICE, reference=f"user:{user.id}")
        agent = (user_agent or "")[:256]
        transaction.on_commit(
            lambda: device_added.send(sender=Passkey, passkey=passkey, ip_address=ip_address, user_agent=agent)
        )
        return passkey


def _device_owned(*, user: User, device_id: uuid.UUID, lock: bool = False) -> Passkey:
    qs = Passkey.objects.filter(user=user, pk=device_id)
    if lock:
        qs = qs.select_for_update()
    device = qs.first()
    if device is None:
        raise NotFound("No such device.")
    return device


@transaction.atomic
def device_rename(*, user: User, device_id: uuid.UUID, name: str) -> Passkey:
    device = _device_owned(user=user, device_id=device_id, lock=True)
    old = device.name
    device.name = name[:64]
    device.save(update_fields=["name"])
    audit_record(
        event_type=IdentityAuditEvent.DEVICE_RENAMED,
        actor=user,
        subject=device,
        old_values={"name": old},
        new_values={"name": device.name},
    )
    return device


def device_revoke(*, user: User, device_id: uuid.UUID) -> Passkey:
    """Revoke a passkey and end its sessions; revoking one already revoked changes nothing."""
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        device = _device_owned(user=user, device_id=device_id, lock=True)
        if device.status == Passkey.Status.REVOKED:
            return device
        if not user.passkeys.filter(status=Passkey.Status.ACTIVE).exclude(pk=device.pk).exists():
            raise LastDevice()
        _device_mark_revoked(device=device, actor=user)
        device_sessions_end(device=device, reason="device_revoked", actor=user)
        transaction.on_commit(lambda: device_revoked.send(sender=Passkey, passkey=device))
    return device


def _device_mark_revoked(*, device: Passkey, actor: User) -> None:
    old_status = device.status
    device.status = Passkey.Status.REVOKED
    device.revoked_at = timezone.now()
    device.save(update_fields=["status", "revoked_at"])
    audit_record(
        event_type=IdentityAuditEvent.DEVICE_REVOKED,
        actor=actor,
        subject=device,
        old_values={"status": old_status},
        new_values={"status": device.status},
    )

"""Proving possession of a passkey: login ceremonies, and assertions over other challenges (a userOpHash).

The sign-counter rule is ours, not py_webauthn's: a synced passkey may report a counter that does not move,
while a non-synced one whose counter goes backwards is flagged as a possible clone, not merely refused.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from webauthn.helpers import base64url_to_bytes

from apps.identity.audit import IdentityAuditEvent
from apps.identity.errors import (
    ChallengeMismatch,
    DeviceFlagged,
    DeviceRevoked,
    PossibleClone,
    UnknownCredential,
    UserHandleMismatch,
)
from apps.identity.models import Passkey, SecurityEvent, User
from apps.identity.services import ceremonies
from apps.identity.services.security_events import security_event_record
from apps.identity.services.sessions import IssuedTokens, device_sessions_end, session_open
from lykos.audit.services import audit_record


def _decoy_credential_id(username: str) -> bytes:
    """Stable per username, so an unknown name gets options that look like a real one's."""
    return hmac.new(settings.SECRET_KEY.encode(), f"decoy:{username}".encode(), hashlib.sha256).digest()


def _login_allowed_credentials(*, username: str) -> tuple[list[bytes], str]:
    """The credentials a named login may use and the user id its challenge is bound to ("none": unknown)."""
    name = username.strip().lower()
    user = User.objects.filter(username__iexact=name, is_active=True).first()
    if user is None:
        return [_decoy_credential_id(name)], "none"
    active = user.passkeys.filter(status=Passkey.Status.ACTIVE).values_list("credential_id", flat=True)
    return [bytes(cid) for cid in active], str(user.id)


def login_begin(*, username: str | None) -> dict[str, Any]:
    allow: list[bytes] = []
    bound_user_id = ""  # usernameless: any user's discoverable passkey may answer
    if username:
        allow, bound_user_id = _login_allowed_credentials(username=username)
    options = ceremonies.authentication_options(allow=allow)
    ceremony_id = ceremonies.ceremony_start(
        ceremony="login",
        challenge=base64url_to_bytes(options["challenge"]),
        bound_to={"user_id": bound_user_id},
    )
    return {"ceremony_id": ceremony_id, "publicKey": options}


def session_login(
    *, ceremony_id: str, credential: dict[str, Any], ip_address: str | None, user_agent: str
) -> IssuedTokens:
    pending = ceremonies.ceremony_consume(ceremony_id=ceremony_id, ceremony="login")
    passkey, new_count = _assertion_verify(credential=credential, pending=pending)
    with transaction.atomic():
        locked = Passkey.objects.select_for_update().select_related("user").get(pk=passkey.pk)
        if locked.status != Passkey.Status.ACTIVE:
            raise DeviceRevoked()
        if not locked.user.is_active:
            raise UnknownCredential()
        locked.sign_count = max(new_count, locked.sign_count)
        locked.last_used_at = timezone.now()
        locked.save(update_fields=["sign_count", "last_used_at"])
        return session_open(user=locked.user, device=locked, ip_address=ip_address, user_agent=user_agent)


def passkey_assertion_verify(*, user: User, credential: dict[str, Any], challenge: bytes) -> Passkey:
    """Verify an assertion by one of `user`'s active passkeys over `challenge` and record the use.

    For challenges that are not login ceremonies, e.g. a userOpHash the passkey signs for the smart account:
    the caller's own state (a transaction's status) makes that challenge single-use.
    """
    pending = ceremonies.PendingCeremony(ceremony="sign", challenge=challenge, bound_to={"user_id": str(user.id)})
    passkey, new_count = _assertion_verify(credential=credential, pending=pending)
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=Greatest(F("sign_count"), new_count), last_used_at=timezone.now()
    )
    return passkey


def _assertion_verify(*, credential: dict[str, Any], pending: ceremonies.PendingCeremony) -> tuple[Passkey, int]:
    """Find the passkey an assertion names and verify it; shared by login and transaction signing."""
    passkey = _usable_passkey(credential_id=ceremonies.credential_id_of(credential))
    _bindings_check(passkey=passkey, credential=credential, pending=pending)
    new_count = ceremonies.authentication_verify(
        credential=credential, challenge=pending.challenge, public_key_cose=bytes(passkey.public_key_cose)
    )
    _sign_count_check(passkey=passkey, reported=new_count)
    return passkey, new_count


def _usable_passkey(*, credential_id: bytes) -> Passkey:
    passkey = Passkey.objects.select_related("user").filter(credential_id=credential_id).first()
    if passkey is None:
        raise UnknownCredential()
    if passkey.status == Passkey.Status.REVOKED:
        raise DeviceRevoked()
    if passkey.status == Passkey.Status.FLAGGED:
        raise DeviceFlagged()
    return passkey


def _bindings_check(*, passkey: Passkey, credential: dict[str, Any], pending: ceremonies.PendingCeremony) -> None:
    """The challenge's user and the authenticator's user handle must both name the passkey's owner."""
    bound_user = pending.bound_to.get("user_id")
    if bound_user and bound_user != str(passkey.user_id):
        raise ChallengeMismatch("This challenge was issued for another user.")
    handle = ceremonies.user_handle_of(credential)
    if handle is not None and handle != passkey.user_id.bytes:
        raise UserHandleMismatch()


def _sign_count_check(*, passkey: Passkey, reported: int) -> None:
    if (reported or passkey.sign_count) and reported <= passkey.sign_count and not passkey.is_synced:
        _possible_clone_flag(passkey=passkey, reported=reported)
        raise PossibleClone()


def _possible_clone_flag(*, passkey: Passkey, reported: int) -> None:
    """Committed on its own: the login is refused, but the flag, audit row and security event must stay."""
    with transaction.atomic():
        locked = Passkey.objects.select_for_update().get(pk=passkey.pk)
        locked.status = Passkey.Status.FLAGGED
        locked.flagged_reason = f"sign count went from {locked.sign_count} to {reported}"
        locked.save(update_fields=["status", "flagged_reason"])
        audit_record(
            event_type=IdentityAuditEvent.DEVICE_FLAGGED,
            actor_type="system",
            subject=locked,
            old_values={"status": Passkey.Status.ACTIVE, "sign_count": locked.sign_count},
            new_values={"status": Passkey.Status.FLAGGED, "reported_sign_count": reported},
        )
        # A possible clone holds whatever the genuine device held: all of its sessions end with the flag.
        device_sessions_end(device=locked, reason="device_flagged", actor=None)
        security_event_record(
            user_id=locked.user_id,
            device=locked,
            kind=SecurityEvent.Kind.POSSIBLE_CLONE,
            details={"stored_sign_count": locked.sign_count, "reported_sign_count": reported},
        )

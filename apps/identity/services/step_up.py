"""Step-up: a fresh, user-verified passkey assertion that authorises one sensitive action, once.

A bearer token proves a session, not a person (GitHub's sudo mode, OIDC `max_age`). Before a sensitive action
the client asks for options naming the action and its parameters; the WebAuthn challenge is derived from them
and from the session, so the passkey's signature is over exactly that request. Verifying the assertion yields
a grant: an opaque token, single-use, bound to the session, the action and the canonical parameters, valid for
`STEP_UP_TTL_SECONDS`. The protected endpoint consumes it (`X-Step-Up` header) by an atomic delete in the
shared cache, so two processes can never both spend one grant.

A refusal always carries fresh options (`details.step_up`), so the client can do the ceremony at once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from apps.identity.audit import IdentityAuditEvent
from apps.identity.errors import ChallengeInvalid, StepUpRequired
from apps.identity.models import Passkey, Session, User
from apps.identity.services import ceremonies
from apps.identity.services.login import passkey_assertion_verify
from lykos.audit.services import audit_record
from lykos.errors import DependencyUnavailable, InvalidRequest

CEREMONY = "step_up"
GRANT_PREFIX = "lks_"
#: Canonical parameters longer than this are refused: they are identifiers (a device id, an address), not data.
MAX_PARAMS_BYTES = 2048


class StepUpAction(models.TextChoices):
    """Every action that needs a step-up. A grant names exactly one; values are part of the API: never rename."""

    PASSKEY_ADD = "passkey_add", "Add a passkey"
    DEVICE_REVOKE = "device_revoke", "Revoke a passkey"
    SESSIONS_REVOKE = "sessions_revoke", "End the sessions of other devices (log out everywhere)"
    EXPORT = "export", "Download an export of your data"
    ERASE = "erase", "Erase your account"
    CHANNEL_CHANGE = "channel_change", "Add or change a verified email or phone"
    GUARDIANS_CHANGE = "guardians_change", "Change your recovery guardians"
    RECOVERY_SETTINGS = "recovery_settings", "Change your recovery settings"


@dataclass(frozen=True)
class StepUpGrant:
    token: str
    action: str
    expires_at: datetime
    passkey: Passkey


def params_canonical(params: dict[str, Any] | None) -> str:
    """The one byte string a grant commits to: sorted keys, no whitespace, UTF-8. The client sends the same
    values it will send to the protected endpoint; any difference (another device id, another email) is
    another step-up."""
    try:
        canonical = json.dumps(params or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest("Step-up parameters must be plain JSON values.", details={"field": "params"}) from exc
    if len(canonical.encode()) > MAX_PARAMS_BYTES:
        raise InvalidRequest("Step-up parameters are too long.", details={"field": "params"})
    return canonical


def _params_digest(params: dict[str, Any] | None) -> str:
    return hashlib.sha256(params_canonical(params).encode()).hexdigest()


def _challenge(*, nonce: bytes, session_id: str, action: str, params_digest: str) -> bytes:
    """What the passkey signs: a fresh nonce bound to the session, the action and its parameters."""
    bound = json.dumps([CEREMONY, session_id, action, params_digest], separators=(",", ":")).encode()
    return hashlib.sha256(nonce + bound).digest()


def _action_checked(action: str) -> str:
    if action not in StepUpAction.values:
        raise InvalidRequest("Unknown step-up action.", details={"field": "action"})
    return action


def step_up_options(
    *, user: User, session_id: uuid.UUID, action: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """WebAuthn request options (user verification required, the user's active passkeys allowed) whose
    challenge commits to `action` + canonical `params` + the session."""
    action = _action_checked(action)
    digest = _params_digest(params)
    nonce = secrets.token_bytes(32)
    challenge = _challenge(nonce=nonce, session_id=str(session_id), action=action, params_digest=digest)
    allow = [
        bytes(cid)
        for cid in Passkey.objects.filter(user=user, status=Passkey.Status.ACTIVE).values_list(
            "credential_id", flat=True
        )
    ]
    options = ceremonies.authentication_options(allow=allow, challenge=challenge)
    ceremony_id = ceremonies.ceremony_start(
        ceremony=CEREMONY,
        challenge=challenge,
        bound_to={
            "user_id": str(user.id),
            "session_id": str(session_id),
            "action": action,
            "params_digest": digest,
            "nonce": bytes_to_base64url(nonce),
        },
    )
    return {"ceremony_id": ceremony_id, "public_key": options}


def step_up_confirm(
    *, user: User, session_id: uuid.UUID, action: str, challenge: bytes, credential: dict[str, Any]
) -> Passkey:
    """The step-up's core: a user-verified assertion over `challenge` by an active passkey; the session's
    `auth_time` becomes now and the confirmation is audited. `step_up_verify` derives the challenge from the
    action and its parameters; an action whose parameters are themselves what the passkey must sign (a device
    revoke signs its on-chain removals: paymaster's revocation) passes that commitment as the challenge and
    acts at once instead of issuing a grant."""
    passkey = passkey_assertion_verify(user=user, credential=credential, challenge=challenge)
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session_id, user=user)
        session.authenticated_at = timezone.now()
        session.authenticated_by = passkey
        session.save(update_fields=["authenticated_at", "authenticated_by"])
        audit_record(
            event_type=IdentityAuditEvent.STEP_UP_VERIFIED,
            actor=user,
            subject=session,
            new_values={"action": _action_checked(action), "device": str(passkey.id)},
        )
    return passkey


def _grant_key(token: str) -> str:
    return "step-up-grant:" + hashlib.sha256(token.encode()).hexdigest()


def step_up_verify(*, user: User, session_id: uuid.UUID, ceremony_id: str, credential: dict[str, Any]) -> StepUpGrant:
    """Verify the assertion and issue a grant for the action the ceremony named; the session's `auth_time`
    becomes now (an access token issued from here on says so)."""
    pending = ceremonies.ceremony_consume(ceremony_id=ceremony_id, ceremony=CEREMONY)
    bound = pending.bound_to
    if bound.get("user_id") != str(user.id) or bound.get("session_id") != str(session_id):
        raise ChallengeInvalid()
    expected = _challenge(
        nonce=base64url_to_bytes(bound["nonce"]),
        session_id=bound["session_id"],
        action=bound["action"],
        params_digest=bound["params_digest"],
    )
    if expected != pending.challenge:
        raise ChallengeInvalid()
    passkey = step_up_confirm(
        user=user, session_id=session_id, action=bound["action"], challenge=pending.challenge, credential=credential
    )
    expires_at = timezone.now() + timedelta(seconds=settings.STEP_UP_TTL_SECONDS)
    token = GRANT_PREFIX + secrets.token_urlsafe(32)
    record = {
        "user_id": str(user.id),
        "session_id": str(session_id),
        "passkey_id": str(passkey.id),
        "action": bound["action"],
        "params_digest": bound["params_digest"],
        "expires_at": expires_at.isoformat(),
    }
    try:
        # The cache entry outlives the window a little; the recorded expiry decides, so a moved clock counts.
        cache.set(_grant_key(token), json.dumps(record), timeout=settings.STEP_UP_TTL_SECONDS + 60)
    except Exception as exc:
        raise DependencyUnavailable("Cannot store the step-up grant.", details={"dependency": "redis"}) from exc
    return StepUpGrant(token=token, action=bound["action"], expires_at=expires_at, passkey=passkey)


def _grant_take(token: str) -> dict[str, Any] | None:
    """Remove the grant and return it, or None if it is unknown or another request took it first."""
    if not token.startswith(GRANT_PREFIX) or len(token) > 128:
        return None
    key = _grant_key(token)
    try:
        raw = cache.get(key)
        # delete() reports whether this call removed the key: of two concurrent uses, exactly one proceeds.
        if raw is None or not cache.delete(key):
            return None
    except Exception as exc:
        raise DependencyUnavailable("Cannot read the step-up grant.", details={"dependency": "redis"}) from exc
    record: dict[str, Any] = json.loads(raw)
    return record


def step_up_required(
    *, user: User, session_id: uuid.UUID, action: str, params: dict[str, Any] | None, reason: str
) -> StepUpRequired:
    """The refusal, with fresh options for exactly this action and these parameters."""
    options = step_up_options(user=user, session_id=session_id, action=action, params=params)
    return StepUpRequired(
        details={"reason": reason, "step_up": {"action": action, "params": params or {}, **options}},
    )


def step_up_consume(
    *, user: User, session_id: uuid.UUID, token: str | None, action: str, params: dict[str, Any] | None = None
) -> Passkey:
    """Spend a grant on `action` with `params`; the passkey that confirmed it, or `StepUpRequired`.

    The grant is spent even when it is refused for another action or other parameters: a grant is tried once.
    `reason` in the refusal says why (missing, invalid, expired, other_action, other_params).
    """
    action = _action_checked(action)
    digest = _params_digest(params)

    def refuse(reason: str) -> StepUpRequired:
        return step_up_required(user=user, session_id=session_id, action=action, params=params, reason=reason)

    if not token:
        raise refuse("missing")
    record = _grant_take(token)
    if record is None or record["user_id"] != str(user.id) or record["session_id"] != str(session_id):
        raise refuse("invalid")
    if datetime.fromisoformat(record["expires_at"]) <= timezone.now():
        raise refuse("expired")
    if record["action"] != action:
        raise refuse("other_action")
    if record["params_digest"] != digest:
        raise refuse("other_params")
    passkey = Passkey.objects.filter(pk=record["passkey_id"], user=user, status=Passkey.Status.ACTIVE).first()
    if passkey is None:  # revoked or flagged since it confirmed
        raise refuse("invalid")
    return passkey

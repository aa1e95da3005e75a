"""Sign-up: a new user's first passkey, the user row, sign-up and referral rewards, the first session.

Ceremony verification happens before the transaction; the rows a ceremony creates are written in one
`transaction.atomic`, so a refused or failed ceremony leaves nothing behind.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction

from apps.identity.audit import IdentityAuditEvent
from apps.identity.errors import InvalidReferralCode, UsernameTaken
from apps.identity.models import RewardEntry, User
from apps.identity.services import ceremonies
from apps.identity.services.devices import passkey_create
from apps.identity.services.profile import username_available, username_normalize
from apps.identity.services.rewards import reward_credit
from apps.identity.services.sessions import IssuedTokens, session_open
from apps.identity.signals import user_registered
from lykos.audit.services import audit_record


def registration_begin(*, username: str | None, display_name: str, referral_code: str | None) -> dict[str, Any]:
    """Options for a new user's first passkey. No row is written until the passkey verifies."""
    if username:
        username = username_normalize(username)
        if not username_available(username=username):
            raise UsernameTaken()
    if referral_code and not User.objects.filter(referral_code=referral_code.strip().upper()).exists():
        raise InvalidReferralCode()
    user_id = uuid.uuid4()
    # The WebAuthn user handle is the future user id: usernameless login finds the user from it.
    options = ceremonies.registration_options(
        user_handle=user_id.bytes,
        user_name=username or f"user-{user_id.hex[:8]}",
        display_name=display_name,
        exclude=[],
    )
    ceremony_id = ceremonies.ceremony_start(
        ceremony="register",
        challenge=ceremonies.base64url_to_bytes(options["challenge"]),
        bound_to={
            "user_id": str(user_id),
            "username": username or "",
            "display_name": display_name or "",
            "referral_code": (referral_code or "").strip().upper(),
        },
    )
    return {"ceremony_id": ceremony_id, "publicKey": options}


def registration_complete(
    *, ceremony_id: str, credential: dict[str, Any], device_name: str, ip_address: str | None, user_agent: str
) -> IssuedTokens:
    pending = ceremonies.ceremony_consume(ceremony_id=ceremony_id, ceremony="register")
    verified = ceremonies.registration_verify(credential=credential, challenge=pending.challenge)
    bound = pending.bound_to
    with transaction.atomic():
        username = bound["username"] or None
        if username and not username_available(username=username):
            raise UsernameTaken()
        referrer = _referrer_find(referral_code=bound["referral_code"])
        user = _user_create(
            user_id=uuid.UUID(bound["user_id"]),
            username=username,
            display_name=bound["display_name"],
            referrer=referrer,
        )
        passkey = passkey_create(user=user, verified=verified, name=device_name)
        audit_record(
            event_type=IdentityAuditEvent.USER_REGISTERED, actor=user, subject=user, new_values={"username": username}
        )
        audit_record(
            event_type=IdentityAuditEvent.DEVICE_ADDED, actor=user, subject=passkey, new_values={"name": passkey.name}
        )
        _signup_rewards_credit(user=user, referrer=referrer)
        user_registered.send(sender=User, user=user, passkey=passkey)
        return session_open(user=user, device=passkey, ip_address=ip_address, user_agent=user_agent)


def _referrer_find(*, referral_code: str) -> User | None:
    if not referral_code:
        return None
    referrer = User.objects.filter(referral_code=referral_code).first()
    if referrer is None:
        raise InvalidReferralCode()
    return referrer


def _user_create(*, user_id: uuid.UUID, username: str | None, display_name: str, referrer: User | None) -> User:
    user = User(id=user_id, username=username, display_name=display_name[:64], referred_by=referrer)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:  # username taken by a concurrent sign-up
        raise UsernameTaken() from exc
    return user


def _signup_rewards_credit(*, user: User, referrer: User | None) -> None:
    reward_credit(user=user, kind=RewardEntry.Kind.SIGNUP, reference=f"user:{user.id}")
    if referrer is not None:
        reward_credit(user=user, kind=RewardEntry.Kind.REFERRAL_REFEREE, reference=f"referrer:{referrer.id}")
        reward_credit(user=referrer, kind=RewardEntry.Kind.REFERRAL_REFERRER, reference=f"referee:{user.id}")

"""Every identity write: sign-up, login, devices, sessions and tokens, profile, rewards.

Ceremony verification happens before the transaction; the rows a ceremony creates are written in one
`transaction.atomic`, so a refused or failed ceremony leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.identity import ceremonies, tokens
from apps.identity.errors import (
    CeremonyError,
    ChallengeInvalid,
    DeviceFlagged,
    DeviceRevoked,
    DuplicateCredential,
    InvalidReferralCode,
    LastDevice,
    PossibleClone,
    RefreshTokenInvalid,
    RefreshTokenReused,
    UnknownCredential,
    UsernameTaken,
)
from apps.identity.models import Passkey, RefreshToken, RewardEntry, SecurityEvent, Session, User
from lykos.audit.services import audit_record
from lykos.errors import InvalidRequest, NotFound

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_]{2,31}$")
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "support", "help", "lykos", "security", "staff", "system", "api", "me"}
)


# --- helpers --------------------------------------------------------------------------------------------


def username_normalize(username: str) -> str:
    """Lowercase and check the character set; the same rule for sign-up and profile edits."""
    value = (username or "").strip().lower()
    if not USERNAME_RE.match(value):
        raise InvalidRequest(
            "A username is 3-32 characters: a letter first, then letters, digits or underscores.",
            details={"fields": {"username": ["invalid"]}},
        )
    if value in RESERVED_USERNAMES:
        raise InvalidRequest("This username is reserved.", details={"fields": {"username": ["reserved"]}})
    return value


def _username_available(username: str, *, except_user: User | None = None) -> bool:
    qs = User.objects.filter(username__iexact=username)
    if except_user is not None:
        qs = qs.exclude(pk=except_user.pk)
    return not qs.exists()


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    session: Session


def _issue_for_session(session: Session, *, parent: RefreshToken | None = None) -> IssuedTokens:
    refresh = tokens.refresh_token_new()
    expires = timezone.now() + timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS)
    RefreshToken.objects.create(
        session=session, token_hash=tokens.refresh_token_hash(refresh), parent=parent, expires_at=expires
    )
    access, access_expires = tokens.access_token_issue(
        user_id=session.user_id, session_id=session.id, device_id=session.device_id
    )
    return IssuedTokens(access, access_expires, refresh, expires, session)


def _session_open(*, user: User, device: Passkey, ip_address: str | None, user_agent: str) -> IssuedTokens:
    session = Session.objects.create(
        user=user, device=device, ip_address=ip_address, user_agent=(user_agent or "")[:256]
    )
    audit_record(
        event_type="session.created",
        actor=user,
        subject=session,
        new_values={"device": str(device.id), "user_agent": session.user_agent},
    )
    return _issue_for_session(session)


def _passkey_from(verified: ceremonies.VerifiedPasskey, *, user: User, name: str) -> Passkey:
    return Passkey(
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


def _save_new_passkey(passkey: Passkey) -> None:
    if Passkey.objects.filter(credential_id=passkey.credential_id).exists():
        raise DuplicateCredential()
    try:
        with transaction.atomic():
            passkey.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent registration of the same credential
        raise DuplicateCredential() from exc


# --- sign-up --------------------------------------------------------------------------------------------


def registration_begin(*, username: str | None, display_name: str, referral_code: str | None) -> dict[str, Any]:
    """Options for a new user's first passkey. No row is written until the passkey verifies."""
    if username:
        username = username_normalize(username)
        if not _username_available(username):
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
        if username and not _username_available(username):
            raise UsernameTaken()
        referrer = None
        if bound["referral_code"]:
            referrer = User.objects.filter(referral_code=bound["referral_code"]).first()
            if referrer is None:
                raise InvalidReferralCode()
        user = User(id=uuid.UUID(bound["user_id"]), username=username, display_name=bound["display_name"][:64])
        user.referred_by = referrer
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError as exc:  # username taken by a concurrent sign-up
            raise UsernameTaken() from exc
        passkey = _passkey_from(verified, user=user, name=device_name)
        _save_new_passkey(passkey)
        audit_record(event_type="user.registered", actor=user, subject=user, new_values={"username": username})
        audit_record(event_type="device.added", actor=user, subject=passkey, new_values={"name": passkey.name})
        reward_credit(user=user, kind=RewardEntry.Kind.SIGNUP, reference=f"user:{user.id}")
        if referrer is not None:
            reward_credit(user=user, kind=RewardEntry.Kind.REFERRAL_REFEREE, reference=f"referrer:{referrer.id}")
            reward_credit(user=referrer, kind=RewardEntry.Kind.REFERRAL_REFERRER, reference=f"referee:{user.id}")
        for hook in _signup_hooks:
            hook(user=user, passkey=passkey)
        return _session_open(user=user, device=passkey, ip_address=ip_address, user_agent=user_agent)


_signup_hooks: list[Any] = []


def signup_hook_register(hook: Any) -> None:
    """Other apps (chain: counterfactual account addresses) act on a new user inside the sign-up transaction."""
    if hook not in _signup_hooks:
        _signup_hooks.append(hook)


# --- login ----------------------------------------------------------------------------------------------


def _decoy_credential_id(username: str) -> bytes:
    """Stable per username, so an unknown name gets options that look like a real one's."""
    return hmac.new(settings.SECRET_KEY.encode(), f"decoy:{username}".encode(), hashlib.sha256).digest()


def login_begin(*, username: str | None) -> dict[str, Any]:
    bound: dict[str, str] = {"user_id": ""}
    allow: list[bytes] = []
    if username:
        name = username.strip().lower()
        user = User.objects.filter(username__iexact=name, is_active=True).first()
        if user is None:
            allow = [_decoy_credential_id(name)]
            bound["user_id"] = "none"
        else:
            allow = [
                bytes(cid)
                for cid in user.passkeys.filter(status=Passkey.Status.ACTIVE).values_list("credential_id", flat=True)
            ]
            bound["user_id"] = str(user.id)
    options = ceremonies.authentication_options(allow=allow)
    ceremony_id = ceremonies.ceremony_start(
        ceremony="login", challenge=ceremonies.base64url_to_bytes(options["challenge"]), bound_to=bound
    )
    return {"ceremony_id": ceremony_id, "publicKey": options}


def _flag_possible_clone(passkey: Passkey, *, reported: int) -> None:
    """Committed on its own: the login is refused, but the flag, audit row and security event must stay."""
    with transaction.atomic():
        locked = Passkey.objects.select_for_update().get(pk=passkey.pk)
        locked.status = Passkey.Status.FLAGGED
        locked.flagged_reason = f"sign count went from {locked.sign_count} to {reported}"
        locked.save(update_fields=["status", "flagged_reason"])
        audit_record(
            event_type="device.flagged",
            actor_type="system",
            subject=locked,
            old_values={"status": Passkey.Status.ACTIVE, "sign_count": locked.sign_count},
            new_values={"status": Passkey.Status.FLAGGED, "reported_sign_count": reported},
        )
        SecurityEvent.objects.create(
            user_id=locked.user_id,
            device=locked,
            kind=SecurityEvent.Kind.POSSIBLE_CLONE,
            details={"stored_sign_count": locked.sign_count, "reported_sign_count": reported},
        )


def _assertion_for_device(*, credential: dict[str, Any], pending: ceremonies.PendingCeremony) -> tuple[Passkey, int]:
    """Find the passkey an assertion names and verify it; shared by login and transaction signing."""
    credential_id = ceremonies.credential_id_of(credential)
    passkey = Passkey.objects.select_related("user").filter(credential_id=credential_id).first()
    if passkey is None:
        raise UnknownCredential()
    if passkey.status == Passkey.Status.REVOKED:
        raise DeviceRevoked()
    if passkey.status == Passkey.Status.FLAGGED:
        raise DeviceFlagged()
    bound_user = pending.bound_to.get("user_id")
    if bound_user and bound_user != str(passkey.user_id):
        raise CeremonyError("challenge_mismatch", "This challenge was issued for another user.")
    handle = ceremonies.user_handle_of(credential)
    if handle is not None and handle != passkey.user_id.bytes:
        raise CeremonyError("user_handle_mismatch", "The passkey's user handle names another user.")
    new_count = ceremonies.authentication_verify(
        credential=credential, challenge=pending.challenge, public_key_cose=bytes(passkey.public_key_cose)
    )
    if (new_count or passkey.sign_count) and new_count <= passkey.sign_count and not passkey.is_synced:
        _flag_possible_clone(passkey, reported=new_count)
        raise PossibleClone()
    return passkey, new_count


def session_login(
    *, ceremony_id: str, credential: dict[str, Any], ip_address: str | None, user_agent: str
) -> IssuedTokens:
    pending = ceremonies.ceremony_consume(ceremony_id=ceremony_id, ceremony="login")
    passkey, new_count = _assertion_for_device(credential=credential, pending=pending)
    with transaction.atomic():
        locked = Passkey.objects.select_for_update().select_related("user").get(pk=passkey.pk)
        if locked.status != Passkey.Status.ACTIVE:
            raise DeviceRevoked()
        if not locked.user.is_active:
            raise UnknownCredential()
        locked.sign_count = max(new_count, locked.sign_count)
        locked.last_used_at = timezone.now()
        locked.save(update_fields=["sign_count", "last_used_at"])
        return _session_open(user=locked.user, device=locked, ip_address=ip_address, user_agent=user_agent)


def passkey_assertion_verify(*, user: User, credential: dict[str, Any], challenge: bytes) -> Passkey:
    """Verify an assertion by one of `user`'s active passkeys over `challenge` and record the use.

    For challenges that are not login ceremonies, e.g. a userOpHash the passkey signs for the smart account:
    the caller's own state (a transaction's status) makes that challenge single-use.
    """
    pending = ceremonies.PendingCeremony(ceremony="sign", challenge=challenge, bound_to={"user_id": str(user.id)})
    passkey, new_count = _assertion_for_device(credential=credential, pending=pending)
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=Greatest(F("sign_count"), new_count), last_used_at=timezone.now()
    )
    return passkey


# --- devices --------------------------------------------------------------------------------------------


def device_add_begin(*, user: User, session_id: uuid.UUID) -> dict[str, Any]:
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
        challenge=ceremonies.base64url_to_bytes(options["challenge"]),
        bound_to={"user_id": str(user.id), "session_id": str(session_id)},
    )
    return {"ceremony_id": ceremony_id, "publicKey": options}


def device_add_complete(
    *, user: User, session_id: uuid.UUID, ceremony_id: str, credential: dict[str, Any], device_name: str
) -> Passkey:
    pending = ceremonies.ceremony_consume(ceremony_id=ceremony_id, ceremony="add_device")
    if pending.bound_to != {"user_id": str(user.id), "session_id": str(session_id)}:
        raise ChallengeInvalid()
    verified = ceremonies.registration_verify(credential=credential, challenge=pending.challenge)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # serialise device changes per user
        passkey = _passkey_from(verified, user=user, name=device_name)
        _save_new_passkey(passkey)
        audit_record(event_type="device.added", actor=user, subject=passkey, new_values={"name": passkey.name})
        if user.passkeys.count() >= 2:
            reward_credit(user=user, kind=RewardEntry.Kind.SECOND_DEVICE, reference=f"user:{user.id}")
        for hook in _device_hooks:
            hook(event="added", passkey=passkey)
        return passkey


_device_hooks: list[Any] = []


def device_hook_register(hook: Any) -> None:
    """The transaction app mirrors device changes on-chain as owner-change operations."""
    if hook not in _device_hooks:
        _device_hooks.append(hook)


def _own_device(user: User, device_id: uuid.UUID, *, lock: bool = False) -> Passkey:
    qs = Passkey.objects.filter(user=user, pk=device_id)
    if lock:
        qs = qs.select_for_update()
    device = qs.first()
    if device is None:
        raise NotFound("No such device.")
    return device


@transaction.atomic
def device_rename(*, user: User, device_id: uuid.UUID, name: str) -> Passkey:
    device = _own_device(user, device_id, lock=True)
    old = device.name
    device.name = name[:64]
    device.save(update_fields=["name"])
    audit_record(
        event_type="device.renamed",
        actor=user,
        subject=device,
        old_values={"name": old},
        new_values={"name": device.name},
    )
    return device


def device_revoke(*, user: User, device_id: uuid.UUID) -> Passkey:
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # two concurrent revokes cannot remove the last two
        device = _own_device(user, device_id, lock=True)
        if device.status == Passkey.Status.REVOKED:
            return device
        others = user.passkeys.filter(status=Passkey.Status.ACTIVE).exclude(pk=device.pk)
        if not others.exists():
            raise LastDevice()
        old_status = device.status
        device.status = Passkey.Status.REVOKED
        device.revoked_at = timezone.now()
        device.save(update_fields=["status", "revoked_at"])
        audit_record(
            event_type="device.revoked",
            actor=user,
            subject=device,
            old_values={"status": old_status},
            new_values={"status": device.status},
        )
        sessions = list(
            Session.objects.select_for_update()
            .filter(device=device, revoked_at__isnull=True)
            .values_list("id", flat=True)
        )
        _revoke_sessions(sessions, reason="device_revoked", actor=user)
        for hook in _device_hooks:
            hook(event="revoked", passkey=device)
    return device


# --- sessions and tokens --------------------------------------------------------------------------------


def _revoke_sessions(session_ids: list[uuid.UUID], *, reason: str, actor: User | None) -> None:
    """Call inside a transaction that holds the sessions' row locks."""
    if not session_ids:
        return
    now = timezone.now()
    Session.objects.filter(id__in=session_ids, revoked_at__isnull=True).update(revoked_at=now, revoke_reason=reason)
    for session in Session.objects.filter(id__in=session_ids):
        audit_record(
            event_type="session.revoked",
            actor=actor,
            actor_type=None if actor else "system",
            subject=session,
            new_values={"reason": reason},
        )
    # Publish before returning, not on commit: a revocation must not wait for the caller's transaction.
    for sid in session_ids:
        tokens.session_revocation_publish(sid)


@transaction.atomic
def session_revoke(*, user: User, session_id: uuid.UUID, reason: str = "user_revoked") -> None:
    session = Session.objects.select_for_update().filter(user=user, pk=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    if session.revoked_at is None:
        _revoke_sessions([session.id], reason=reason, actor=user)


@transaction.atomic
def session_revoke_all(*, user: User, except_session_id: uuid.UUID | None = None) -> int:
    """'Log out everywhere'. Returns how many sessions were ended."""
    qs = Session.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if except_session_id is not None:
        qs = qs.exclude(pk=except_session_id)
    ids = list(qs.values_list("id", flat=True))
    _revoke_sessions(ids, reason="logout_everywhere", actor=user)
    return len(ids)


def session_refresh(*, refresh_token: str) -> IssuedTokens:
    """Rotate a refresh token. Presenting an already-used one revokes the whole session (theft signal)."""
    if not isinstance(refresh_token, str) or not refresh_token.startswith(tokens.REFRESH_PREFIX):
        raise RefreshTokenInvalid()
    token_hash = tokens.refresh_token_hash(refresh_token)
    reused_session: Session | None = None
    with transaction.atomic():
        found = RefreshToken.objects.filter(token_hash=token_hash).values_list("session_id", flat=True).first()
        if found is None:
            raise RefreshTokenInvalid()
        # The session row is the lock: every rotation of one session happens one at a time.
        session = Session.objects.select_for_update().select_related("user").get(pk=found)
        token = RefreshToken.objects.select_for_update().get(token_hash=token_hash)
        if session.revoked_at is not None:
            raise RefreshTokenInvalid("This session has been revoked.")
        if token.used_at is not None:
            reused_session = session
        elif token.expires_at <= timezone.now() or not session.user.is_active:
            raise RefreshTokenInvalid()
        else:
            token.used_at = timezone.now()
            token.save(update_fields=["used_at"])
            session.last_seen_at = timezone.now()
            session.save(update_fields=["last_seen_at"])
            return _issue_for_session(session, parent=token)
    # Reuse: revoke in its own committed transaction, then refuse.
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=reused_session.pk)
        if locked.revoked_at is None:
            _revoke_sessions([locked.id], reason="refresh_token_reused", actor=None)
            SecurityEvent.objects.create(
                user_id=locked.user_id, session=locked, kind=SecurityEvent.Kind.REFRESH_TOKEN_REUSE, details={}
            )
    raise RefreshTokenReused()


def session_touch(*, session_id: uuid.UUID) -> None:
    """Record activity at most once a minute per session, so reads do not each cost a write."""
    Session.objects.filter(pk=session_id, last_seen_at__lt=timezone.now() - timedelta(seconds=60)).update(
        last_seen_at=timezone.now()
    )


# --- profile --------------------------------------------------------------------------------------------


@transaction.atomic
def profile_update(*, user: User, display_name: str | None = None, username: str | None = None) -> User:
    locked = User.objects.select_for_update().get(pk=user.pk)
    old = {"display_name": locked.display_name, "username": locked.username}
    if display_name is not None:
        locked.display_name = display_name.strip()[:64]
    if username is not None:
        normalized = username_normalize(username)
        if not _username_available(normalized, except_user=locked):
            raise UsernameTaken()
        locked.username = normalized
    try:
        with transaction.atomic():
            locked.save(update_fields=["display_name", "username"])
    except IntegrityError as exc:
        raise UsernameTaken() from exc
    new = {"display_name": locked.display_name, "username": locked.username}
    if new != old:
        audit_record(event_type="profile.updated", actor=locked, subject=locked, old_values=old, new_values=new)
    return locked


# --- erasure -------------------------------------------------------------------------------------------

_erase_hooks: list[Any] = []


def erase_hook_register(hook: Any) -> None:
    """Apps holding personal data (social profile, media, OAuth grants) erase theirs when a user is erased.
    A hook takes `user=` and returns counts of what it deleted."""
    if hook not in _erase_hooks:
        _erase_hooks.append(hook)


@transaction.atomic
def user_erase(*, user: User) -> dict[str, int]:
    """Erase a user (GDPR art. 17): every app's personal data first, then identity's own.

    The user row stays, anonymised and deactivated, because ledgers (rewards, accounts, sponsorship) must keep
    their references; passkeys are revoked and sessions ended, so nothing can log in as it again.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    counts: dict[str, int] = {}
    for hook in _erase_hooks:
        counts.update(hook(user=locked) or {})
    counts["sessions"] = session_revoke_all(user=locked)
    now = timezone.now()
    Session.objects.filter(user=locked).update(ip_address=None, user_agent="")
    counts["passkeys"] = (
        Passkey.objects.filter(user=locked)
        .exclude(status=Passkey.Status.REVOKED)
        .update(status=Passkey.Status.REVOKED, revoked_at=now)
    )
    Passkey.objects.filter(user=locked).update(name="")
    locked.username = None
    locked.display_name = ""
    locked.is_active = False
    locked.set_unusable_password()
    locked.save(update_fields=["username", "display_name", "is_active", "password"])
    audit_record(event_type="user.erased", actor=locked, subject=locked, new_values=counts)
    return counts


# --- rewards --------------------------------------------------------------------------------------------

RewardKind = RewardEntry.Kind  # the reward kinds other apps credit, without reaching into identity's models


def reward_credit(*, user: User, kind: str, reference: str, points: int | None = None) -> RewardEntry | None:
    """Credit once per (user, kind, reference); a replay returns None and changes nothing."""
    amount = settings.REWARD_POINTS[kind] if points is None else points
    try:
        with transaction.atomic():
            return RewardEntry.objects.create(user=user, kind=kind, points=amount, reference=reference[:128])
    except IntegrityError:
        return None

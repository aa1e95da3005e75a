"""Sessions and their tokens: open, refresh (rotate), revoke, touch.

A session is one login on one device. Access tokens name it, so revoking it ends them at once; refresh tokens
are single-use, and presenting a used one again is treated as theft of the whole session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.identity import selectors
from apps.identity.audit import IdentityAuditEvent
from apps.identity.errors import RefreshTokenInvalid, RefreshTokenReused
from apps.identity.models import Passkey, RefreshToken, SecurityEvent, Session, User
from apps.identity.services import tokens
from apps.identity.services.security_events import security_event_record
from lykos.audit.services import audit_record
from lykos.errors import NotFound

TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    session: Session


def tokens_issue(*, session: Session, parent: RefreshToken | None = None) -> IssuedTokens:
    refresh = tokens.refresh_token_new()
    expires = timezone.now() + timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS)
    RefreshToken.objects.create(
        session=session, token_hash=tokens.refresh_token_hash(refresh), parent=parent, expires_at=expires
    )
    authenticated = selectors.session_authentication(session=session)
    access, access_expires = tokens.access_token_issue(
        user_id=session.user_id,
        session_id=session.id,
        device_id=session.device_id,
        amr=authenticated.amr,
        auth_time=authenticated.auth_time,
    )
    return IssuedTokens(access, access_expires, refresh, expires, session)


def session_open(*, user: User, device: Passkey, ip_address: str | None, user_agent: str) -> IssuedTokens:
    """Call inside the transaction that proved the passkey (sign-up or login)."""
    session = Session.objects.create(
        user=user, device=device, ip_address=ip_address, user_agent=(user_agent or "")[:256]
    )
    audit_record(
        event_type=IdentityAuditEvent.SESSION_CREATED,
        actor=user,
        subject=session,
        new_values={"device": str(device.id), "user_agent": session.user_agent},
    )
    return tokens_issue(session=session)


def sessions_end(*, session_ids: list[uuid.UUID], reason: str, actor: User | None) -> None:
    """Call inside a transaction that holds the sessions' row locks."""
    if not session_ids:
        return
    now = timezone.now()
    Session.objects.filter(id__in=session_ids, revoked_at__isnull=True).update(revoked_at=now, revoke_reason=reason)
    for session in Session.objects.filter(id__in=session_ids):
        audit_record(
            event_type=IdentityAuditEvent.SESSION_REVOKED,
            actor=actor,
            actor_type=None if actor else "system",
            subject=session,
            new_values={"reason": reason},
        )
    # Published after commit: a revocation must not depend on Redis (publishing inside the transaction rolled the
    # database revocation back when Redis was down), and the row, which every token check reads, is the truth.
    ids = [str(sid) for sid in session_ids]
    transaction.on_commit(lambda: tokens.session_revocations_publish(session_ids=ids), robust=True)


def device_sessions_end(*, device: Passkey, reason: str, actor: User | None) -> int:
    """End every live session of one device (revoked, flagged as a clone, replaced by recovery): its access and
    refresh tokens and the browser sessions bound to them stop working at the next request. Call inside the
    transaction that changes the device; returns how many sessions were ended."""
    sessions = Session.objects.select_for_update().filter(device=device, revoked_at__isnull=True)
    ids = list(sessions.values_list("id", flat=True))
    sessions_end(session_ids=ids, reason=reason, actor=actor)
    return len(ids)


@transaction.atomic
def session_revoke(*, user: User, session_id: uuid.UUID, reason: str = "user_revoked") -> None:
    session = Session.objects.select_for_update().filter(user=user, pk=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    if session.revoked_at is None:
        sessions_end(session_ids=[session.id], reason=reason, actor=user)


@transaction.atomic
def session_revoke_all(*, user: User, except_session_id: uuid.UUID | None = None) -> int:
    """'Log out everywhere'. Returns how many sessions were ended."""
    qs = Session.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if except_session_id is not None:
        qs = qs.exclude(pk=except_session_id)
    ids = list(qs.values_list("id", flat=True))
    sessions_end(session_ids=ids, reason="logout_everywhere", actor=user)
    return len(ids)


def session_refresh(*, refresh_token: str) -> IssuedTokens:
    """Rotate a refresh token. Presenting an already-used one revokes the whole session (theft signal)."""
    if not isinstance(refresh_token, str) or not refresh_token.startswith(tokens.REFRESH_PREFIX):
        raise RefreshTokenInvalid()
    outcome = _refresh_rotate(token_hash=tokens.refresh_token_hash(refresh_token))
    if isinstance(outcome, IssuedTokens):
        return outcome
    # Reuse: the revocation commits on its own, then the request is refused.
    _refresh_reuse_revoke(session_id=outcome.pk)
    raise RefreshTokenReused()


@transaction.atomic
def _refresh_rotate(*, token_hash: str) -> IssuedTokens | Session:
    """The successor tokens, or the session whose already-used token was presented again (nothing written)."""
    found = RefreshToken.objects.filter(token_hash=token_hash).values_list("session_id", flat=True).first()
    if found is None:
        raise RefreshTokenInvalid()
    # The session row is the lock: every rotation of one session happens one at a time.
    session = Session.objects.select_for_update().select_related("user", "device").get(pk=found)
    token = RefreshToken.objects.select_for_update().get(token_hash=token_hash)
    if session.revoked_at is not None:
        raise RefreshTokenInvalid("This session has been revoked.")
    if session.device.status != Passkey.Status.ACTIVE:
        # Ending the device's sessions is what stops it; this holds even for a session a flag missed.
        raise RefreshTokenInvalid("This device is no longer allowed to sign in.")
    if token.used_at is not None:
        return session
    if token.expires_at <= timezone.now() or not session.user.is_active:
        raise RefreshTokenInvalid()
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    session.last_seen_at = timezone.now()
    session.save(update_fields=["last_seen_at"])
    return tokens_issue(session=session, parent=token)


@transaction.atomic
def _refresh_reuse_revoke(*, session_id: uuid.UUID) -> None:
    locked = Session.objects.select_for_update().get(pk=session_id)
    if locked.revoked_at is None:
        sessions_end(session_ids=[locked.id], reason="refresh_token_reused", actor=None)
        security_event_record(
            user_id=locked.user_id, session=locked, kind=SecurityEvent.Kind.REFRESH_TOKEN_REUSE, details={}
        )


def session_touch(*, session_id: uuid.UUID) -> None:
    """Record activity at most once per TOUCH_INTERVAL, so reads do not each cost a write."""
    Session.objects.filter(pk=session_id, last_seen_at__lt=timezone.now() - TOUCH_INTERVAL).update(
        last_seen_at=timezone.now()
    )

"""Identity reads shared by the API and other apps: the one way another app reads passkeys, sessions or users."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum

from apps.identity.models import Passkey, RewardEntry, Session, User


def device_list(*, user: User) -> QuerySet[Passkey]:
    return Passkey.objects.filter(user=user).order_by("created_at")


def device_active_list(*, user: User) -> QuerySet[Passkey]:
    return device_list(user=user).filter(status=Passkey.Status.ACTIVE)


def device_get(*, user: User, device_id: uuid.UUID | str) -> Passkey | None:
    """The user's own device, in any status; None for anyone else's (the API answers 404, never 403)."""
    return Passkey.objects.filter(user=user, pk=device_id).first()


def devices_by_ids(*, user: User, device_ids: Iterable[uuid.UUID | str]) -> QuerySet[Passkey]:
    """The user's devices among `device_ids` (e.g. an account's owners), any status; other users' ids match none."""
    return device_list(user=user).filter(pk__in=[str(device_id) for device_id in device_ids])


def device_active_by_ids(*, user: User, device_ids: Iterable[uuid.UUID | str]) -> QuerySet[Passkey]:
    return devices_by_ids(user=user, device_ids=device_ids).filter(status=Passkey.Status.ACTIVE)


def device_added_since(*, user: User, since: datetime) -> Passkey | None:
    """The user's newest passkey added to the account at or after `since` and not revoked (the risk rules' "new
    device"). The account's first passkey (sign-up) was not added to anything: a scan judges it as the acting
    device, by its own age."""
    devices = device_list(user=user)
    first = devices.values_list("pk", flat=True).first()
    if first is None:
        return None
    recent = devices.filter(created_at__gte=since).exclude(status=Passkey.Status.REVOKED).exclude(pk=first)
    return recent.order_by("-created_at").first()


def device_changed_since(*, user: User, since: datetime) -> Passkey | None:
    """The newest passkey added to an existing account, or revoked, at or after `since`: a change of the devices
    that control the account. The account's first passkey (sign-up) is no change."""
    devices = device_list(user=user)
    first = devices.values_list("pk", flat=True).first()
    if first is None:
        return None
    changed = devices.filter(Q(created_at__gte=since) | Q(revoked_at__gte=since)).exclude(pk=first)
    return changed.order_by("-created_at").first()


def session_list(*, user: User, include_revoked: bool = False) -> QuerySet[Session]:
    qs = Session.objects.filter(user=user).select_related("device").order_by("-created_at")
    return qs if include_revoked else qs.filter(revoked_at__isnull=True)


def session_with_device(*, session_id: uuid.UUID | str | None) -> Session | None:
    """Any session, revoked or not, with its device loaded (None for no session, e.g. an API key's request)."""
    if session_id is None:
        return None
    return Session.objects.select_related("device").filter(pk=session_id).first()


@dataclass(frozen=True)
class SessionAuthentication:
    """How and when the user last proved presence on a session, for `amr` / `auth_time` claims (RFC 8176, OIDC)."""

    amr: list[str]
    auth_time: datetime


def session_authentication(*, session: Session) -> SessionAuthentication:
    """The one place that says how a session authenticated: the passkey of its last user-verified assertion
    (the latest step-up, else the login) and that assertion's time."""
    if session.authenticated_at is not None and session.authenticated_by is not None:
        return SessionAuthentication(amr=session.authenticated_by.amr, auth_time=session.authenticated_at)
    return SessionAuthentication(amr=session.device.amr, auth_time=session.created_at)


def user_get(*, user_id: uuid.UUID | str, active_only: bool = False) -> User | None:
    users = User.objects.filter(is_active=True) if active_only else User.objects.all()
    return users.filter(pk=user_id).first()


def reward_balance(*, user: User) -> int:
    return RewardEntry.objects.filter(user=user).aggregate(total=Sum("points"))["total"] or 0


def reward_history(*, user: User) -> QuerySet[RewardEntry]:
    return RewardEntry.objects.filter(user=user).order_by("-created_at", "-id")


def session_is_live(*, session_id: uuid.UUID | str, user_id: uuid.UUID | str) -> bool:
    """Whether an identity session still stands for `user_id`: not revoked, its device active, its user active.

    Read from the database, the record a revocation writes first, so that whatever is tied to a session (a
    browser session for the OAuth pages) ends with it on every server at the next request.
    """
    try:
        session = Session.objects.select_related("user", "device").filter(pk=session_id).first()
    except (ValueError, ValidationError):  # a malformed id stored in a cookie-backed session
        return False
    return (
        session is not None
        and session.revoked_at is None
        and str(session.user_id) == str(user_id)
        and session.user.is_active
        and session.device.status == Passkey.Status.ACTIVE
    )

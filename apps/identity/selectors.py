"""Identity reads shared by the API and other apps."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet, Sum

from apps.identity.models import Passkey, RewardEntry, Session, User


def device_list(*, user: User) -> QuerySet[Passkey]:
    return Passkey.objects.filter(user=user).order_by("created_at")


def device_active_list(*, user: User) -> QuerySet[Passkey]:
    return device_list(user=user).filter(status=Passkey.Status.ACTIVE)


def devices_by_ids(*, user: User, device_ids: Iterable[uuid.UUID | str]) -> QuerySet[Passkey]:
    """The user's passkeys among `device_ids`, whatever their status: ids of someone else's devices match nothing."""
    return device_list(user=user).filter(pk__in=[str(device_id) for device_id in device_ids])


def session_with_device(*, session_id: uuid.UUID | str | None) -> Session | None:
    if session_id is None:
        return None
    return Session.objects.select_related("device").filter(pk=session_id).first()


def session_list(*, user: User, include_revoked: bool = False) -> QuerySet[Session]:
    qs = Session.objects.filter(user=user).select_related("device").order_by("-created_at")
    return qs if include_revoked else qs.filter(revoked_at__isnull=True)


def reward_balance(*, user: User) -> int:
    return RewardEntry.objects.filter(user=user).aggregate(total=Sum("points"))["total"] or 0


def reward_history(*, user: User) -> QuerySet[RewardEntry]:
    return RewardEntry.objects.filter(user=user).order_by("-created_at", "-id")

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


def device_get(*, user: User, device_id: uuid.UUID | str) -> Passkey | None:
    """One of the user's devices in any status (a revoked one is still the subject of its owner removal)."""
    return device_list(user=user).filter(pk=device_id).first()


def device_active_by_ids(*, user: User, device_ids: Iterable[uuid.UUID | str]) -> QuerySet[Passkey]:
    """The user's active devices among `device_ids` (e.g. an account's owners), oldest first."""
    return device_active_list(user=user).filter(pk__in=list(device_ids))


def user_get(*, user_id: uuid.UUID | str, active_only: bool = False) -> User | None:
    qs = User.objects.filter(pk=user_id)
    return qs.filter(is_active=True).first() if active_only else qs.first()


def session_list(*, user: User, include_revoked: bool = False) -> QuerySet[Session]:
    qs = Session.objects.filter(user=user).select_related("device").order_by("-created_at")
    return qs if include_revoked else qs.filter(revoked_at__isnull=True)


def reward_balance(*, user: User) -> int:
    return RewardEntry.objects.filter(user=user).aggregate(total=Sum("points"))["total"] or 0


def reward_history(*, user: User) -> QuerySet[RewardEntry]:
    return RewardEntry.objects.filter(user=user).order_by("-created_at", "-id")

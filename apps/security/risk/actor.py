"""Rules about who acts rather than what the call does: operations too fast, a new device or session.

The device and session come from the caller (the payment path passes the access token's); the user's other
passkeys are read through identity's selectors."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from apps.identity.selectors import device_added_since, device_changed_since
from apps.security.conf import security_settings
from apps.security.models import TransactionSimulation
from apps.security.risk.context import RiskContext
from apps.security.verdicts import Warning

if TYPE_CHECKING:
    from apps.identity.models import Passkey, User


def velocity_count(*, user: User, exclude_id: uuid.UUID | None = None) -> int:
    since = timezone.now() - timedelta(seconds=security_settings.VELOCITY_WINDOW_SECONDS)
    recent = TransactionSimulation.objects.filter(
        user=user,
        created_at__gte=since,
        kind__in=[TransactionSimulation.Kind.TRANSACTION, TransactionSimulation.Kind.USER_OPERATION],
    )
    if exclude_id is not None:
        recent = recent.exclude(pk=exclude_id)
    return recent.count()


def actor_warnings(ctx: RiskContext, *, count_velocity: bool = True) -> list[Warning]:
    warnings = []
    if count_velocity:
        recent = velocity_count(user=ctx.user, exclude_id=ctx.exclude_simulation_id)
        if recent >= security_settings.VELOCITY_MAX_OPERATIONS:
            warnings.append(
                Warning(
                    "velocity",
                    "WARNING",
                    f"{recent + 1} operations in {security_settings.VELOCITY_WINDOW_SECONDS} s: unusually fast.",
                    {"operations": recent + 1, "window_seconds": security_settings.VELOCITY_WINDOW_SECONDS},
                )
            )
    warnings += _new_device_warnings(ctx)
    session_fresh = timezone.now() - timedelta(seconds=security_settings.NEW_SESSION_SECONDS)
    if ctx.session is not None and ctx.session.created_at >= session_fresh:
        warnings.append(
            Warning("new_session", "INFO", "This session started recently.", {"session_id": str(ctx.session.pk)})
        )
    return warnings


def _new_device_warnings(ctx: RiskContext) -> list[Warning]:
    """The acting device, or another passkey added to the account, within SECURITY_NEW_DEVICE_SECONDS: a stolen
    session's first move is to add the attacker's passkey, and what follows may come from either device."""
    since = timezone.now() - timedelta(seconds=security_settings.NEW_DEVICE_SECONDS)
    if ctx.device is not None and ctx.device.created_at >= since:
        return [Warning("new_device", "INFO", "This device was added recently.", {"device_id": str(ctx.device.pk)})]
    added = device_added_since(user=ctx.user, since=since)
    if added is None:
        return []
    return [
        Warning(
            "new_device",
            "INFO",
            "A passkey was added to this account recently.",
            {"device_id": str(added.pk), "added_at": added.created_at.isoformat()},
        )
    ]


def recent_device_change(ctx: RiskContext) -> Passkey | None:
    """The device change (a passkey added to the account or revoked) within SECURITY_NEW_DEVICE_SECONDS, if any."""
    since = timezone.now() - timedelta(seconds=security_settings.NEW_DEVICE_SECONDS)
    return device_changed_since(user=ctx.user, since=since)

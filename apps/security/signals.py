"""Identity records security events; this app turns the ones a reviewer must see into review cases."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import receiver

from apps.identity.signals import security_event_recorded

if TYPE_CHECKING:
    from apps.identity.models import SecurityEvent

logger = logging.getLogger(__name__)


@receiver(security_event_recorded, dispatch_uid="security.case_for_possible_clone")
def open_case_for_possible_clone(sender: type, *, event: SecurityEvent, **kwargs: Any) -> None:
    """A sign-count regression (possible cloned authenticator) opens a high-priority case with the device linked.

    Runs inside identity's transaction (which commits the device flag) under a savepoint: if opening the case
    fails, the flag still commits and the failure is logged, never the other way round.
    """
    if event.kind != event.Kind.POSSIBLE_CLONE:
        return
    from apps.security.models import ReviewCase
    from apps.security.services import review_case_open

    linked: dict[str, list[object]] = {"security_events": [event.pk]}
    if event.device_id:
        linked["devices"] = [event.device_id]
    try:
        with transaction.atomic():
            review_case_open(
                user=event.user,
                reason=ReviewCase.OpenReason.POSSIBLE_CLONE,
                priority=ReviewCase.Priority.HIGH,
                linked=linked,
                summary="Sign counter went backwards: possible cloned authenticator",
            )
    except Exception:
        logger.exception("could not open a review case for a possible clone", extra={"event": event.pk})

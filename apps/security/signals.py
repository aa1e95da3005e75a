"""Identity records security events; this app turns the ones a reviewer must see into review cases."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.identity.models import SecurityEvent

logger = logging.getLogger(__name__)


@receiver(post_save, sender=SecurityEvent, dispatch_uid="security.case_for_possible_clone")
def open_case_for_possible_clone(sender: type, instance: SecurityEvent, created: bool, **kwargs: Any) -> None:
    """A sign-count regression (possible cloned authenticator) opens a high-priority case with the device linked.

    Runs inside identity's transaction (which commits the device flag) under a savepoint: if opening the case
    fails, the flag still commits and the failure is logged, never the other way round.
    """
    if not created or instance.kind != SecurityEvent.Kind.POSSIBLE_CLONE:
        return
    from apps.security.models import ReviewCase
    from apps.security.services import review_case_open

    linked: dict[str, list] = {"security_events": [instance.pk]}
    if instance.device_id:
        linked["devices"] = [instance.device_id]
    try:
        with transaction.atomic():
            review_case_open(
                user=instance.user,
                reason=ReviewCase.OpenReason.POSSIBLE_CLONE,
                priority=ReviewCase.Priority.HIGH,
                linked=linked,
                summary="Sign counter went backwards: possible cloned authenticator",
            )
    except Exception:
        logger.exception("could not open a review case for a possible clone", extra={"event": instance.pk})

"""Account freezes: while one is active the account gets no sponsorship and submits nothing. The transaction flow
asks `account_is_frozen` / `ensure_not_frozen`; reviewers freeze and lift (audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apps.security.audit import SecurityAuditEvent
from apps.security.errors import AccountFrozen
from apps.security.models import AccountFreeze, ReviewCase, ReviewCaseEvent
from apps.security.services.timeline import case_event_add
from lykos.audit.services import audit_record

if TYPE_CHECKING:
    from apps.identity.models import User


def account_is_frozen(*, user: User) -> bool:
    """Read from the database every time: a freeze is effective at the very next request, on every server."""
    return AccountFreeze.objects.filter(user=user, lifted_at__isnull=True).exists()


def ensure_not_frozen(*, user: User) -> None:
    """Call before sponsorship and before submitting an operation."""
    if account_is_frozen(user=user):
        raise AccountFrozen()


@transaction.atomic
def account_freeze(
    *, user: User, actor: User | None, reason: str = "", case: ReviewCase | None = None
) -> AccountFreeze:
    """Freeze the user's account (idempotent: an already frozen account keeps its freeze). Audited."""
    existing = AccountFreeze.objects.select_for_update().filter(user=user, lifted_at__isnull=True).first()
    if existing is not None:
        return existing
    freeze = AccountFreeze.objects.create(user=user, case=case, reason=reason[:300], frozen_by=actor)
    case_event_add(case, kind=ReviewCaseEvent.Kind.FROZEN, actor=actor, message=reason)
    audit_record(
        event_type=SecurityAuditEvent.ACCOUNT_FROZEN,
        actor=actor,
        subject=user,
        old_values={"frozen": False},
        new_values={"frozen": True, "reason": reason, "case": case.pk if case else None},
    )
    return freeze


@transaction.atomic
def account_unfreeze(*, user: User, actor: User | None, case: ReviewCase | None = None, note: str = "") -> bool:
    """Lift the active freeze, if any. Returns whether one was lifted. Audited."""
    freeze = AccountFreeze.objects.select_for_update().filter(user=user, lifted_at__isnull=True).first()
    if freeze is None:
        return False
    freeze.lifted_at = timezone.now()
    freeze.lifted_by = actor
    freeze.save(update_fields=["lifted_at", "lifted_by"])
    case_event_add(case, kind=ReviewCaseEvent.Kind.UNFROZEN, actor=actor, message=note)
    audit_record(
        event_type=SecurityAuditEvent.ACCOUNT_UNFROZEN,
        actor=actor,
        subject=user,
        old_values={"frozen": True, "freeze": freeze.pk},
        new_values={"frozen": False, "case": case.pk if case else None},
    )
    return True

"""The fraud review queue: rules and reviewers open cases (one open case per user and reason, re-fired rules add
evidence to it), reviewers assign, approve, reject and freeze through these functions; every step is on the case's
timeline and in the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.identity import selectors as identity_selectors
from apps.security.audit import SecurityAuditEvent
from apps.security.conf import security_settings
from apps.security.models import AccountFreeze, ReviewCase, ReviewCaseEvent, TransactionSimulation
from apps.security.services.freezes import account_freeze, account_unfreeze
from apps.security.services.timeline import case_event_add
from lykos.audit.services import audit_record
from lykos.errors import Conflict, NotFound

if TYPE_CHECKING:
    from apps.identity.models import User

Linked = dict[str, list[str]]  # {"simulations": [...], "devices": [...], "transactions": [...], ...} (ids)
_PRIORITY_RANK = {p: i for i, p in enumerate(ReviewCase.Priority.values)}


@transaction.atomic
def review_case_open(
    *,
    user: User,
    reason: str,
    priority: str = ReviewCase.Priority.NORMAL,
    linked: Mapping[str, Iterable[object]] | None = None,
    opened_by: User | None = None,
    summary: str = "",
) -> ReviewCase:
    """Open a case for `user`, or add to the open one for the same reason (idempotent per (user, reason, open)).

    `linked`: {"simulations": [...], "devices": [...], "transactions": [...], "security_events": [...]} (ids).
    A re-fired rule links its new evidence, raises the priority if higher, and writes a timeline entry.
    """
    if reason not in ReviewCase.OpenReason.values:
        raise ValueError(f"unknown review case reason {reason!r}")
    case = _open_case_locked(user=user, reason=reason)
    if case is None:
        created = _case_create(
            user=user, reason=reason, priority=priority, linked=linked, opened_by=opened_by, summary=summary
        )
        if created is not None:
            return created
        # Another request opened it between our read and our insert: add to it.
        case = ReviewCase.objects.select_for_update().get(user=user, open_reason=reason, status=ReviewCase.Status.OPEN)
    _case_add_evidence(case, linked=linked, priority=priority, actor=opened_by, summary=summary)
    return case


def _open_case_locked(*, user: User, reason: str) -> ReviewCase | None:
    cases = ReviewCase.objects.select_for_update()
    return cases.filter(user=user, open_reason=reason, status=ReviewCase.Status.OPEN).first()


def _case_create(
    *,
    user: User,
    reason: str,
    priority: str,
    linked: Mapping[str, Iterable[object]] | None,
    opened_by: User | None,
    summary: str,
) -> ReviewCase | None:
    """The new case with its links, first timeline entry and audit row; None when a concurrent request won the
    insert (the one-open-case-per-reason constraint)."""
    try:
        with transaction.atomic():
            case = ReviewCase.objects.create(
                user=user,
                open_reason=reason,
                priority=priority,
                linked=_merge_linked({}, linked),
                opened_by=opened_by,
                summary=summary[:300],
            )
    except IntegrityError:
        return None
    _attach_links(case, linked)
    case_event_add(
        case,
        kind=ReviewCaseEvent.Kind.OPENED,
        actor=opened_by,
        message=summary,
        data={"linked": case.linked, "priority": priority},
    )
    audit_record(
        event_type=SecurityAuditEvent.CASE_OPENED,
        actor=opened_by,
        subject=case,
        new_values={"user": str(user.pk), "reason": reason, "priority": priority, "linked": case.linked},
    )
    return case


def _case_add_evidence(
    case: ReviewCase, *, linked: Mapping[str, Iterable[object]] | None, priority: str, actor: User | None, summary: str
) -> None:
    changed = []
    merged = _merge_linked(case.linked, linked)
    if merged != case.linked:
        case.linked = merged
        changed.append("linked")
    if _PRIORITY_RANK.get(priority, 0) > _PRIORITY_RANK.get(case.priority, 0):
        case.priority = priority
        changed.append("priority")
    if changed:
        case.save(update_fields=changed)
    _attach_links(case, linked)
    case_event_add(
        case,
        kind=ReviewCaseEvent.Kind.LINKED,
        actor=actor,
        message=summary,
        data={"linked": linked or {}, "priority": case.priority},
    )


def _merge_linked(current: Linked | None, extra: Mapping[str, Iterable[object]] | None) -> Linked:
    merged = {key: list(values) for key, values in (current or {}).items()}
    for key, values in (extra or {}).items():
        bucket = merged.setdefault(key, [])
        for value in values:
            if str(value) not in bucket:
                bucket.append(str(value))
    return merged


def _attach_links(case: ReviewCase, linked: Mapping[str, Iterable[object]] | None) -> None:
    """The scans and devices a reviewer opens from the case; only the case user's own devices are linked."""
    linked = linked or {}
    if simulations := [str(s) for s in linked.get("simulations", [])]:
        case.simulations.add(*TransactionSimulation.objects.filter(pk__in=simulations))
    if devices := [str(d) for d in linked.get("devices", [])]:
        case.devices.add(*identity_selectors.devices_by_ids(user=case.user, device_ids=devices))


def _close(
    case_id: int,
    *,
    reviewer: User,
    status: str,
    close_reason: str,
    note: str,
    event: ReviewCaseEvent.Kind,
    audit_event: SecurityAuditEvent,
) -> ReviewCase:
    case = ReviewCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such review case.")
    if case.status != ReviewCase.Status.OPEN:
        raise Conflict("This case is already closed.", details={"status": case.status})
    if close_reason not in ReviewCase.CloseReason.values:
        raise ValueError(f"unknown close reason {close_reason!r}")
    case.status, case.close_reason = status, close_reason
    case.closed_at, case.closed_by = timezone.now(), reviewer
    case.save(update_fields=["status", "close_reason", "closed_at", "closed_by"])
    case_event_add(case, kind=event, actor=reviewer, message=note, data={"close_reason": close_reason})
    audit_record(
        event_type=audit_event,
        actor=reviewer,
        subject=case,
        old_values={"status": ReviewCase.Status.OPEN},
        new_values={"status": status, "close_reason": close_reason, "note": note},
    )
    return case


@transaction.atomic
def review_case_approve(
    *, case_id: int, reviewer: User, close_reason: str = ReviewCase.CloseReason.LEGITIMATE, note: str = ""
) -> ReviewCase:
    """Close as not fraud. A freeze is lifted separately (`account_unfreeze`), so approving is never a side door."""
    return _close(
        case_id,
        reviewer=reviewer,
        status=ReviewCase.Status.APPROVED,
        close_reason=close_reason,
        note=note,
        event=ReviewCaseEvent.Kind.APPROVED,
        audit_event=SecurityAuditEvent.CASE_APPROVED,
    )


@transaction.atomic
def review_case_reject(
    *, case_id: int, reviewer: User, close_reason: str = ReviewCase.CloseReason.FRAUDULENT, note: str = ""
) -> ReviewCase:
    """Close as fraud (or another rejecting reason)."""
    return _close(
        case_id,
        reviewer=reviewer,
        status=ReviewCase.Status.REJECTED,
        close_reason=close_reason,
        note=note,
        event=ReviewCaseEvent.Kind.REJECTED,
        audit_event=SecurityAuditEvent.CASE_REJECTED,
    )


@transaction.atomic
def review_case_assign(*, case_id: int, assignee: User, actor: User | None) -> ReviewCase:
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    old = case.assignee_id
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    case_event_add(case, kind=ReviewCaseEvent.Kind.ASSIGNED, actor=actor, data={"assignee": str(assignee.pk)})
    audit_record(
        event_type=SecurityAuditEvent.CASE_ASSIGNED,
        actor=actor,
        subject=case,
        old_values={"assignee": str(old) if old else None},
        new_values={"assignee": str(assignee.pk)},
    )
    return case


@transaction.atomic
def review_case_freeze_account(*, case_id: int, reviewer: User, note: str = "") -> AccountFreeze:
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    return account_freeze(user=case.user, actor=reviewer, reason=note or f"review case {case.pk}", case=case)


@transaction.atomic
def review_case_unfreeze_account(*, case_id: int, reviewer: User, note: str = "") -> bool:
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    return account_unfreeze(user=case.user, actor=reviewer, case=case, note=note)


def sponsorship_refusal_record(*, user: User, rule: str, transaction_id: str | None = None) -> ReviewCase | None:
    """The transaction flow reports each refused sponsorship; at SECURITY_SPONSORSHIP_REFUSALS_MAX within
    SECURITY_SPONSORSHIP_REFUSALS_WINDOW_SECONDS a `sponsorship_refusals` case opens (or gains the new link)."""
    window = int(security_settings.SPONSORSHIP_REFUSALS_WINDOW_SECONDS)
    key = f"security:sponsorship-refusals:{user.pk}:{int(timezone.now().timestamp()) // window}"
    cache.add(key, 0, timeout=window + 1)
    count = cache.incr(key)
    if count < security_settings.SPONSORSHIP_REFUSALS_MAX:
        return None
    return review_case_open(
        user=user,
        reason=ReviewCase.OpenReason.SPONSORSHIP_REFUSALS,
        linked={"transactions": [transaction_id]} if transaction_id else None,
        summary=f"{count} sponsorship refusals within {window} s (last rule: {rule})",
    )

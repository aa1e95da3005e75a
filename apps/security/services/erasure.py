"""Erasure of what G0 holds about a person, run by identity's `user_erasing` signal (see apps/security/privacy.py).

What the person was about to sign (simulations), whom they dealt with (counterparties) and what they said about a
scan (feedback) go. Fraud records stay, because a reviewer's decision and a freeze must survive an erasure request
made to escape them, but without reviewers' free text, links or reasons: status, reason codes and times only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.security.audit import SecurityAuditEvent
from apps.security.models import (
    AccountFreeze,
    Counterparty,
    ReviewCase,
    ReviewCaseEvent,
    ScanFeedback,
    TransactionSimulation,
)
from lykos.audit.services import audit_record

if TYPE_CHECKING:
    from apps.identity.models import User


def security_data_erase(*, user: User) -> dict[str, int]:
    """Runs inside identity's erasure transaction. Returns counts, merged into the erasure's result."""
    counts = {
        "scan_feedback": ScanFeedback.objects.filter(user=user).delete()[0],
        "counterparties": Counterparty.objects.filter(user=user).delete()[0],
    }
    for case in ReviewCase.objects.filter(user=user):
        case.simulations.clear()
        case.devices.clear()
    counts["simulations"] = TransactionSimulation.objects.filter(user=user).delete()[0]
    counts["review_cases_anonymised"] = ReviewCase.objects.filter(user=user).update(summary="", linked={})
    ReviewCaseEvent.objects.filter(case__user=user).update(message="", data={})
    AccountFreeze.objects.filter(user=user).update(reason="")
    audit_record(event_type=SecurityAuditEvent.USER_DATA_ERASED, subject=user, new_values=counts, data_subject=None)
    return counts

"""What the user did after a verdict: proceeding teaches the counterparty list, and the answer joins any review
case that links the scan."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import transaction

from apps.security.models import ReviewCase, ReviewCaseEvent, ScanFeedback, TransactionSimulation
from apps.security.services.counterparties import counterparty_record
from apps.security.services.timeline import case_event_add
from lykos.errors import Conflict, NotFound

if TYPE_CHECKING:
    from apps.identity.models import User


@transaction.atomic
def scan_feedback_record(*, user: User, simulation_id: uuid.UUID | str, decision: str, note: str = "") -> ScanFeedback:
    """The user proceeded or cancelled after a verdict. Proceeding with a successful operation makes its
    recipients and contracts counterparties; the feedback joins any review case linked to the scan."""
    simulation = TransactionSimulation.objects.select_for_update().filter(pk=simulation_id, user=user).first()
    if simulation is None:
        raise NotFound("No such scan.")
    if ScanFeedback.objects.filter(simulation=simulation).exists():
        raise Conflict("Feedback for this scan was already recorded.")
    feedback = ScanFeedback.objects.create(simulation=simulation, user=user, decision=decision, note=note[:500])
    if decision == ScanFeedback.Decision.PROCEEDED and simulation.status == TransactionSimulation.Status.SUCCESS:
        for address in _dealt_with(simulation):
            counterparty_record(user=user, address=address)
    for case in simulation.review_cases.filter(status=ReviewCase.Status.OPEN):
        case_event_add(
            case,
            kind=ReviewCaseEvent.Kind.FEEDBACK,
            actor=user,
            message=note,
            data={"simulation": str(simulation.pk), "decision": decision, "action": simulation.action},
        )
    return feedback


def _dealt_with(simulation: TransactionSimulation) -> list[str]:
    """Whom the scanned call paid and which contracts the account called, in a stable order."""
    result = simulation.result or {}
    account = simulation.account_address
    recipients = {t["to"] for t in result.get("transfers", []) if t["from"] == account and t["to"]}
    return sorted((recipients | set(result.get("call_targets", []))) - {account})

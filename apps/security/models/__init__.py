"""G0 security models, one module per concern, re-exported here for Django and for imports: simulations with
their verdicts, threat and known-address lists, counterparties, account freezes, and the fraud review queue."""

from apps.security.models.lists import Counterparty, KnownAddress, ThreatListEntry
from apps.security.models.review import AccountFreeze, ReviewCase, ReviewCaseEvent
from apps.security.models.scans import ScanFeedback, TransactionSimulation

__all__ = [
    "AccountFreeze",
    "Counterparty",
    "KnownAddress",
    "ReviewCase",
    "ReviewCaseEvent",
    "ScanFeedback",
    "ThreatListEntry",
    "TransactionSimulation",
]

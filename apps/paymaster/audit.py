"""Every audit event the paymaster records, declared once (the values are stored in the audit log: never rename)."""

from __future__ import annotations

from lykos.audit.events import AuditEventType


class PaymasterAuditEvent(AuditEventType):
    TRANSACTION_PREPARED = "transaction.prepared", "A transaction was prepared"
    TRANSACTION_SIGNED = "transaction.signed", "A transaction was signed with a passkey"
    TRANSACTION_SUBMITTED = "transaction.submitted", "A transaction was sent to the bundler"
    TRANSACTION_REJECTED = "transaction.rejected", "The bundler rejected a transaction"
    TRANSACTION_INCLUDED = "transaction.included", "A transaction landed and its calls succeeded"
    TRANSACTION_FAILED = "transaction.failed", "A transaction landed and its calls reverted"
    TRANSACTION_EXPIRED = "transaction.expired", "A prepared transaction expired unsigned or was superseded"
    TRANSACTION_DROPPED = "transaction.dropped", "The bundler dropped a submitted transaction"
    SPONSORSHIP_RESERVED = "sponsorship.reserved", "Gas sponsorship was reserved under a policy"
    SPONSORSHIP_SETTLED = "sponsorship.settled", "Sponsored gas was settled from a receipt"
    SPONSORSHIP_RELEASED = "sponsorship.released", "A sponsorship reservation was released"

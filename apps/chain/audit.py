"""The audit event types the chain app records (see lykos.audit.events)."""

from __future__ import annotations

from lykos.audit.events import AuditEventType


class ChainAuditEvent(AuditEventType):
    CHAIN_REGISTERED = "chain.registered", "A chain was registered or its settings changed"
    ACCOUNT_DERIVED = "account.derived", "A user's counterfactual smart account was derived"
    ACCOUNT_OWNERS_CHANGED = "account.owners_changed", "A smart account's owners changed on-chain"

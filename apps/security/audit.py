"""Every audit event type the security app records, declared once (values are stored in audit rows: never rename)."""

from __future__ import annotations

from lykos.audit.events import AuditEventType


class SecurityAuditEvent(AuditEventType):
    ACCOUNT_FROZEN = "security.account_frozen", "A reviewer froze an account"
    ACCOUNT_UNFROZEN = "security.account_unfrozen", "A reviewer lifted an account's freeze"
    CASE_OPENED = "security.case_opened", "A review case was opened"
    CASE_ASSIGNED = "security.case_assigned", "A review case was assigned"
    CASE_APPROVED = "security.case_approved", "A review case was closed as legitimate"
    CASE_REJECTED = "security.case_rejected", "A review case was closed as fraud"
    KNOWN_ADDRESS_SAVED = "security.known_address_saved", "A trusted address was saved"
    THREAT_CREATED = "security.threat_created", "A threat-list entry was added"
    THREAT_UPDATED = "security.threat_updated", "A threat-list entry was changed"
    USER_DATA_ERASED = "security.user_data_erased", "G0's data about an erased user was deleted or anonymised"

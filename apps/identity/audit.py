"""Every audit event type identity records, declared once (values are stored in audit rows: never rename)."""

from __future__ import annotations

from lykos.audit.events import AuditEventType


class IdentityAuditEvent(AuditEventType):
    USER_REGISTERED = "user.registered", "A user signed up"
    USER_ERASED = "user.erased", "A user erased their account"
    PROFILE_UPDATED = "profile.updated", "A user changed their username or display name"
    DEVICE_ADDED = "device.added", "A passkey was registered"
    DEVICE_RENAMED = "device.renamed", "A passkey was renamed"
    DEVICE_REVOKED = "device.revoked", "A passkey was revoked"
    DEVICE_FLAGGED = "device.flagged", "A passkey was locked for review (its signature counter went backwards)"
    SESSION_CREATED = "session.created", "A session was opened"
    SESSION_REVOKED = "session.revoked", "A session was revoked"
    ADMIN_SECOND_FACTOR = "admin.second_factor", "A staff member confirmed an admin login with a passkey"
    STEP_UP_VERIFIED = "step_up.verified", "A passkey confirmed a sensitive action on a session (step-up)"

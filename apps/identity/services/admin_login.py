"""The admin's second factor: a staff member who holds a passkey confirms the password login with it.

The password proves knowledge; a user-verified assertion by one of the staff member's active passkeys proves the
device and the person. The ceremony is bound to the user and single-use like every other challenge; the result is
audited, and the browser session records it (see `apps.identity.admin_site`).
"""

from __future__ import annotations

from typing import Any

from webauthn.helpers import base64url_to_bytes

from apps.identity.audit import IdentityAuditEvent
from apps.identity.errors import ChallengeMismatch
from apps.identity.models import Passkey, User
from apps.identity.services import ceremonies
from apps.identity.services.login import passkey_assertion_verify
from lykos.audit.services import audit_record

CEREMONY = "admin_second_factor"


def admin_second_factor_required(*, user: User) -> bool:
    """Staff who hold a passkey must use it after the password; staff without one have only the password. A flagged
    passkey counts: a possible clone must not turn the login back into a password-only one (it cannot answer,
    so the admin stays closed until a reviewer clears it)."""
    return user.passkeys.exclude(status=Passkey.Status.REVOKED).exists()


def admin_second_factor_begin(*, user: User) -> dict[str, Any]:
    """Request options for one of the user's active passkeys, bound to the user."""
    allow = [
        bytes(cid) for cid in user.passkeys.filter(status=Passkey.Status.ACTIVE).values_list("credential_id", flat=True)
    ]
    options = ceremonies.authentication_options(allow=allow)
    ceremony_id = ceremonies.ceremony_start(
        ceremony=CEREMONY, challenge=base64url_to_bytes(options["challenge"]), bound_to={"user_id": str(user.id)}
    )
    return {"ceremony_id": ceremony_id, "publicKey": options}


def admin_second_factor_complete(*, user: User, ceremony_id: str, credential: dict[str, Any]) -> Passkey:
    """Verify the assertion (single-use challenge, the user's own active passkey, user verification) and audit it."""
    pending = ceremonies.ceremony_consume(ceremony_id=ceremony_id, ceremony=CEREMONY)
    if pending.bound_to.get("user_id") != str(user.id):
        raise ChallengeMismatch("This challenge was issued for another user.")
    passkey = passkey_assertion_verify(user=user, credential=credential, challenge=pending.challenge)
    audit_record(
        event_type=IdentityAuditEvent.ADMIN_SECOND_FACTOR,
        actor=user,
        subject=passkey,
        new_values={"device": str(passkey.id)},
    )
    return passkey

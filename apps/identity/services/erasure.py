"""Erasure (GDPR art. 17): every app's personal data first, then identity's own."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.identity.audit import IdentityAuditEvent
from apps.identity.models import Passkey, Session, User
from apps.identity.services.sessions import session_revoke_all
from apps.identity.signals import user_erasing
from lykos.audit.services import audit_record


@transaction.atomic
def user_erase(*, user: User) -> dict[str, int]:
    """Erase a user. The user row stays, anonymised and deactivated, because ledgers (rewards, accounts,
    sponsorship) must keep their references; passkeys are revoked and sessions ended, so nothing can log in
    as it again.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    counts: dict[str, int] = {}
    for _receiver, erased in user_erasing.send(sender=User, user=locked):
        counts.update(erased or {})
    counts["sessions"] = session_revoke_all(user=locked)
    counts["passkeys"] = _identity_data_erase(user=locked)
    audit_record(event_type=IdentityAuditEvent.USER_ERASED, actor=locked, subject=locked, new_values=counts)
    return counts


def _identity_data_erase(*, user: User) -> int:
    """Strip identity's personal data from the user's rows; returns how many passkeys were revoked."""
    Session.objects.filter(user=user).update(ip_address=None, user_agent="")
    revoked = (
        Passkey.objects.filter(user=user)
        .exclude(status=Passkey.Status.REVOKED)
        .update(status=Passkey.Status.REVOKED, revoked_at=timezone.now())
    )
    Passkey.objects.filter(user=user).update(name="")
    user.username = None
    user.display_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["username", "display_name", "is_active", "password"])
    return revoked

"""Erasure (GDPR art. 17): every app's personal data first, then identity's own, then the person's key.

What each table holds and what erasure does to it is declared in the apps' `privacy` modules (lykos.privacy);
the erasure test holds every table to those declarations.
"""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from apps.identity.audit import IdentityAuditEvent
from apps.identity.models import Passkey, RefreshToken, SecurityEvent, Session, User
from apps.identity.services.sessions import session_revoke_all
from apps.identity.signals import user_erasing
from lykos.audit.services import audit_record
from lykos.crypto import owner_key_shred
from lykos.idempotency import idempotency_records_forget


@transaction.atomic
def user_erase(*, user: User) -> dict[str, int]:
    """Erase a user. The user row stays, anonymised and deactivated, because ledgers (rewards, accounts,
    sponsorship) must keep their references; passkeys are revoked and sessions ended, so nothing can log in
    as it again.

    Last, the user's own key is destroyed in the secrets provider (crypto-shredding): what was sealed under it
    (contact values, IP addresses, documents, the audit log's values about them) is unreadable from then on, in
    this database and in every backup of it. It happens inside the transaction on purpose: if the secrets provider
    cannot destroy the key, nothing is erased and the request fails (503) to be retried; if the commit fails after
    the key is gone, the rows that remain are unreadable anyway, which is what the person asked for.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    counts: dict[str, int] = {}
    for _receiver, erased in user_erasing.send(sender=User, user=locked):
        counts.update(erased or {})  # type: ignore[arg-type]  # django-stubs types responses str|None, not returns
    counts["sessions"] = session_revoke_all(user=locked)
    counts["passkeys"] = _identity_data_erase(user=locked)
    # The counts name no one: kept in the clear, so the log still says that (and how much) was erased.
    audit_record(
        event_type=IdentityAuditEvent.USER_ERASED, actor=locked, subject=locked, new_values=counts, data_subject=None
    )
    owner_key_shred(owner=str(locked.pk))
    return counts


def _identity_data_erase(*, user: User) -> int:
    """Strip identity's personal data from the user's rows; returns how many passkeys were revoked."""
    Session.objects.filter(user=user).update(ip_address=None, user_agent="")
    RefreshToken.objects.filter(session__user=user).delete()
    SecurityEvent.objects.filter(user=user).delete()
    revoked = (
        Passkey.objects.filter(user=user)
        .exclude(status=Passkey.Status.REVOKED)
        .update(status=Passkey.Status.REVOKED, revoked_at=timezone.now())
    )
    Passkey.objects.filter(user=user).update(name="")
    user.groups.clear()
    user.user_permissions.clear()
    idempotency_records_forget(user_id=str(user.pk))
    # Staff edits of this user in the admin printed the user's name into the admin's history.
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)).update(
        object_repr="", change_message=""
    )
    user.username = None
    user.display_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["username", "display_name", "is_active", "password"])
    return revoked

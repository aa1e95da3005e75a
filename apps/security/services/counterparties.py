"""Counterparties: the addresses a user has dealt with, the reference for the poisoning and first-interaction
rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from eth_utils import to_checksum_address

from apps.security.models import Counterparty

if TYPE_CHECKING:
    from apps.identity.models import User


def counterparty_record(*, user: User, address: str, source: str = Counterparty.Source.TRANSACTION) -> Counterparty:
    """Remember an address the user dealt with. The transaction flow calls it for a settled operation's recipients;
    a contacts list calls it with source=contact."""
    address = to_checksum_address(address)
    now = timezone.now()
    with transaction.atomic():
        row, created = Counterparty.objects.select_for_update().get_or_create(
            user=user, address=address, defaults={"source": source, "first_seen_at": now, "last_seen_at": now}
        )
        if not created:
            row.interactions += 1
            row.last_seen_at = now
            row.save(update_fields=["interactions", "last_seen_at"])
    return row

"""The address lists the rules consult: threats (malicious or sanctioned), trusted spenders, and the user's own
counterparties."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q
from eth_utils import to_checksum_address

from apps.security.models import Counterparty, KnownAddress, ThreatListEntry
from apps.security.verdicts import Warning

if TYPE_CHECKING:
    from apps.chain.models import Chain
    from apps.identity.models import User


def threat_matches(addresses: Iterable[str], *, chain: Chain | None) -> dict[str, ThreatListEntry]:
    addresses = {to_checksum_address(a) for a in addresses if a}
    if not addresses:
        return {}
    chain_filter = Q(chain__isnull=True) | (Q(chain=chain) if chain is not None else Q(pk__in=[]))
    rows = ThreatListEntry.objects.filter(chain_filter, active=True, address__in=addresses)
    return {row.address: row for row in rows}


def known_addresses(addresses: Iterable[str], *, chain: Chain | None) -> set[str]:
    addresses = {to_checksum_address(a) for a in addresses if a}
    chain_filter = Q(chain__isnull=True) | (Q(chain=chain) if chain is not None else Q(pk__in=[]))
    return set(KnownAddress.objects.filter(chain_filter, address__in=addresses).values_list("address", flat=True))


def counterparty_addresses(*, user: User) -> set[str]:
    return set(Counterparty.objects.filter(user=user).values_list("address", flat=True))


def threat_warnings(addresses: Iterable[str], *, chain: Chain | None, role: str = "touched") -> list[Warning]:
    warnings = []
    for address, entry in sorted(threat_matches(addresses, chain=chain).items()):
        sanctioned = entry.category == ThreatListEntry.Category.SANCTIONED
        warnings.append(
            Warning(
                kind="sanctioned_address" if sanctioned else "threat_listed_address",
                severity="CRITICAL",
                message=(
                    f"{address} is on a sanctions list: interacting with it is not allowed."
                    if sanctioned
                    else f"{address} is a known malicious address ({entry.category})."
                ),
                evidence={"address": address, "category": entry.category, "source": entry.source, "role": role},
            )
        )
    return warnings

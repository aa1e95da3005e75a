"""The platform's address lists (threats, trusted spenders) and re-scoring: when a list changes, recent scans that
touched a newly listed address are scored again against it, without re-simulating."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from eth_utils import to_checksum_address

from apps.chain.clients import get_node_client
from apps.security import risk
from apps.security.audit import SecurityAuditEvent
from apps.security.conf import security_settings
from apps.security.models import KnownAddress, ThreatListEntry, TransactionSimulation
from apps.security.services.scans import platform_addresses, scan_cases_open
from apps.security.verdicts import Warning, verdict_from
from lykos.audit.services import audit_record

if TYPE_CHECKING:
    from apps.chain.models import Chain
    from apps.identity.models import User

# Warnings about the actor rather than the simulated effects: kept as they were when a scan is re-scored later.
_ACTOR_KINDS = {"velocity", "new_device", "new_session", "account_frozen"}
_THREAT_AUDIT = {"created": SecurityAuditEvent.THREAT_CREATED, "updated": SecurityAuditEvent.THREAT_UPDATED}


def threat_entry_upsert(
    *,
    address: str,
    category: str,
    source: str,
    chain: Chain | None = None,
    note: str = "",
    active: bool = True,
    actor: User | None = None,
) -> tuple[ThreatListEntry, str]:
    """Add or update one threat-list entry; returns (entry, "created" | "updated" | "unchanged"). Audited when
    something changed."""
    address = to_checksum_address(address)
    if category not in ThreatListEntry.Category.values:
        raise ValueError(f"unknown category {category!r}")
    new = {"category": category, "source": source[:64], "note": note[:300], "active": active}
    with transaction.atomic():
        entry = ThreatListEntry.objects.select_for_update().filter(address=address, chain=chain).first()
        if entry is None:
            entry = ThreatListEntry.objects.create(address=address, chain=chain, **new)
            outcome, old = "created", None
        else:
            old = {"category": entry.category, "source": entry.source, "note": entry.note, "active": entry.active}
            new["note"] = new["note"] or entry.note  # an import without notes keeps the analyst's note
            if old == new:
                return entry, "unchanged"
            for field, value in new.items():
                setattr(entry, field, value)
            entry.save()
            outcome = "updated"
        audit_record(
            event_type=_THREAT_AUDIT[outcome],
            actor=actor,
            subject=entry,
            old_values=old,
            new_values={
                "address": address,
                "category": category,
                "source": source,
                "active": active,
                "chain": chain.pk if chain else None,
            },
        )
    return entry, outcome


@transaction.atomic
def known_address_upsert(
    *, address: str, label: str, chain: Chain | None = None, actor: User | None = None
) -> KnownAddress:
    """Trust a spender/operator contract (a marketplace, a router). Audited: it silences warnings."""
    address = to_checksum_address(address)
    row, created = KnownAddress.objects.update_or_create(address=address, chain=chain, defaults={"label": label})
    audit_record(
        event_type=SecurityAuditEvent.KNOWN_ADDRESS_SAVED,
        actor=actor,
        subject=row,
        new_values={"address": address, "label": label, "chain": chain.pk if chain else None, "created": created},
    )
    return row


def threat_list_rescan(*, since_days: int | None = None) -> list[str]:
    """Ids of recent successful scans that touched an address now on the threat list (to be re-scored)."""
    days = security_settings.RESCAN_DAYS if since_days is None else since_days
    since = timezone.now() - timedelta(days=days)
    threats = set(ThreatListEntry.objects.filter(active=True).values_list("address", flat=True))
    if not threats:
        return []
    matches = []
    recent = TransactionSimulation.objects.filter(
        created_at__gte=since, status=TransactionSimulation.Status.SUCCESS
    ).exclude(action=TransactionSimulation.Action.BLOCK)
    for pk, result in recent.values_list("pk", "result").iterator(chunk_size=500):
        if threats.intersection((result or {}).get("touched", [])):
            matches.append(str(pk))
    return matches


def simulation_rescore(*, simulation_id: uuid.UUID | str) -> TransactionSimulation | None:
    """Score a stored scan again against today's lists (threats, counterparties) without re-simulating. Warnings
    about the actor (velocity, device, freeze) are kept as they were at scan time."""
    simulation = TransactionSimulation.objects.select_related("chain", "user").filter(pk=simulation_id).first()
    if simulation is None or simulation.kind == TransactionSimulation.Kind.MESSAGE or simulation.chain is None:
        return simulation
    ctx = risk.RiskContext(
        user=simulation.user,
        chain=simulation.chain,
        account=simulation.account_address,
        node=get_node_client(simulation.chain),
        exclude_simulation_id=simulation.pk,
        infrastructure=platform_addresses(simulation.chain, simulation.account_address),
    )
    kept = [Warning(**w) for w in simulation.warnings if w["kind"] in _ACTOR_KINDS]
    verdict = verdict_from(kept + risk.simulation_warnings(simulation.result, ctx), simulation_id=str(simulation.pk))
    with transaction.atomic():
        previous = simulation.action
        simulation.action, simulation.score = verdict.action, verdict.score
        simulation.warnings = [w.as_dict() for w in verdict.warnings]
        simulation.rescored_at = timezone.now()
        simulation.save(update_fields=["action", "score", "warnings", "rescored_at"])
        if verdict.action == "BLOCK" and previous != "BLOCK":
            scan_cases_open(simulation, verdict, device=simulation.device)
    return simulation

"""G0 security services: scans (simulation + risk verdict), account freezes, the fraud review queue, threat-list
writes and user feedback. Every write of this app goes through here; views, tasks, admin actions and the
transaction flow call the same functions.

The transaction flow's interface: `scan_user_operation`, `account_is_frozen`, `ensure_not_frozen` (raises
`AccountFrozen`, 403 `account_frozen`), `review_case_open` and `sponsorship_refusal_record`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from eth_utils import to_checksum_address
from prometheus_client import Counter, Histogram

from apps.chain.clients import get_node_client
from apps.chain.contracts import lykos_deployments
from apps.chain.errors import ChainUnavailable
from apps.chain.userops import Call, UserOperation, encode_execute
from apps.security import analysis, risk
from apps.security.adapters import SimulationRequest, SimulationTrace, get_simulator
from apps.security.conf import security_settings
from apps.security.errors import AccountFrozen, SimulationUnavailable
from apps.security.messages import message_warnings
from apps.security.models import (
    AccountFreeze,
    Counterparty,
    KnownAddress,
    ReviewCase,
    ReviewCaseEvent,
    ScanFeedback,
    ThreatListEntry,
    TransactionSimulation,
)
from apps.security.verdicts import Verdict, Warning, verdict_from
from lykos.audit.services import audit_record
from lykos.errors import Conflict, NotFound

__all__ = [
    "AccountFrozen",
    "SimulationUnavailable",
    "Verdict",
    "Warning",
    "account_freeze",
    "account_is_frozen",
    "account_unfreeze",
    "counterparty_record",
    "ensure_not_frozen",
    "known_address_upsert",
    "review_case_approve",
    "review_case_assign",
    "review_case_open",
    "review_case_reject",
    "scan_feedback_record",
    "scan_message",
    "scan_transaction",
    "scan_user_operation",
    "simulation_rescore",
    "sponsorship_refusal_record",
    "threat_entry_upsert",
    "threat_list_rescan",
]

logger = logging.getLogger(__name__)

SIMULATION_CACHE = Counter(
    "lykos_security_simulation_cache_total",
    "Simulation results served from Redis (hit) or the backend (miss)",
    ["result"],
)
SIMULATION_SECONDS = Histogram("lykos_security_simulation_seconds", "Backend simulation latency", ["backend"])
VERDICTS = Counter("lykos_security_verdicts_total", "Scan verdicts", ["kind", "action"])

# ERC-1167 minimal proxy runtime code around the implementation: what an undeployed account will have once its
# first operation runs the factory. Used as a state override so its calls simulate before deployment.
_CLONE_RUNTIME_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
_CLONE_RUNTIME_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
# Warnings about the actor rather than the simulated effects: kept as they were when a scan is re-scored later.
_ACTOR_KINDS = {"velocity", "new_device", "new_session", "account_frozen"}
_PRIORITY_RANK = {p: i for i, p in enumerate(ReviewCase.Priority.values)}


# --- freezes -----------------------------------------------------------------------------------------------------


def account_is_frozen(*, user: Any) -> bool:
    """Read from the database every time: a freeze is effective at the very next request, on every server."""
    return AccountFreeze.objects.filter(user=user, lifted_at__isnull=True).exists()


def ensure_not_frozen(*, user: Any) -> None:
    """Call before sponsorship and before submitting an operation."""
    if account_is_frozen(user=user):
        raise AccountFrozen()


def _case_event(case: ReviewCase | None, *, kind: str, actor: Any, message: str = "", data: dict | None = None) -> None:
    if case is not None:
        ReviewCaseEvent.objects.create(case=case, kind=kind, actor=actor, message=message[:500], data=data or {})


@transaction.atomic
def account_freeze(*, user: Any, actor: Any, reason: str = "", case: ReviewCase | None = None) -> AccountFreeze:
    """Freeze the user's account (idempotent: an already frozen account keeps its freeze). Audited."""
    existing = AccountFreeze.objects.select_for_update().filter(user=user, lifted_at__isnull=True).first()
    if existing is not None:
        return existing
    freeze = AccountFreeze.objects.create(user=user, case=case, reason=reason[:300], frozen_by=actor)
    _case_event(case, kind=ReviewCaseEvent.Kind.FROZEN, actor=actor, message=reason)
    audit_record(
        event_type="security.account_frozen",
        actor=actor,
        subject=user,
        old_values={"frozen": False},
        new_values={"frozen": True, "reason": reason, "case": case.pk if case else None},
    )
    return freeze


@transaction.atomic
def account_unfreeze(*, user: Any, actor: Any, case: ReviewCase | None = None, note: str = "") -> bool:
    """Lift the active freeze, if any. Returns whether one was lifted. Audited."""
    freeze = AccountFreeze.objects.select_for_update().filter(user=user, lifted_at__isnull=True).first()
    if freeze is None:
        return False
    freeze.lifted_at = timezone.now()
    freeze.lifted_by = actor
    freeze.save(update_fields=["lifted_at", "lifted_by"])
    _case_event(case, kind=ReviewCaseEvent.Kind.UNFROZEN, actor=actor, message=note)
    audit_record(
        event_type="security.account_unfrozen",
        actor=actor,
        subject=user,
        old_values={"frozen": True, "freeze": freeze.pk},
        new_values={"frozen": False, "case": case.pk if case else None},
    )
    return True


# --- review cases ------------------------------------------------------------------------------------------------


def _merge_linked(current: dict[str, list], extra: dict[str, Iterable] | None) -> dict[str, list]:
    merged = {key: list(values) for key, values in (current or {}).items()}
    for key, values in (extra or {}).items():
        bucket = merged.setdefault(key, [])
        for value in values:
            if str(value) not in bucket:
                bucket.append(str(value))
    return merged


def _attach_links(case: ReviewCase, linked: dict[str, Iterable] | None) -> None:
    from apps.identity.models import Passkey

    linked = linked or {}
    if linked.get("simulations"):
        case.simulations.add(*TransactionSimulation.objects.filter(pk__in=[str(s) for s in linked["simulations"]]))
    if linked.get("devices"):
        case.devices.add(*Passkey.objects.filter(pk__in=[str(d) for d in linked["devices"]], user=case.user))


@transaction.atomic
def review_case_open(
    *,
    user: Any,
    reason: str,
    priority: str = ReviewCase.Priority.NORMAL,
    linked: dict | None = None,
    opened_by: Any = None,
    summary: str = "",
) -> ReviewCase:
    """Open a case for `user`, or add to the open one for the same reason (idempotent per (user, reason, open)).

    `linked`: {"simulations": [...], "devices": [...], "transactions": [...], "security_events": [...]} (ids).
    A re-fired rule links its new evidence, raises the priority if higher, and writes a timeline entry.
    """
    if reason not in ReviewCase.OpenReason.values:
        raise ValueError(f"unknown review case reason {reason!r}")
    case = ReviewCase.objects.select_for_update().filter(user=user, open_reason=reason, status="open").first()
    if case is None:
        try:
            with transaction.atomic():
                case = ReviewCase.objects.create(
                    user=user,
                    open_reason=reason,
                    priority=priority,
                    linked=_merge_linked({}, linked),
                    opened_by=opened_by,
                    summary=summary[:300],
                )
        except IntegrityError:
            # Another request opened it between our read and our insert: fall through to "add to it".
            case = ReviewCase.objects.select_for_update().get(user=user, open_reason=reason, status="open")
        else:
            _attach_links(case, linked)
            _case_event(
                case,
                kind=ReviewCaseEvent.Kind.OPENED,
                actor=opened_by,
                message=summary,
                data={"linked": case.linked, "priority": priority},
            )
            audit_record(
                event_type="security.case_opened",
                actor=opened_by,
                subject=case,
                new_values={"user": str(user.pk), "reason": reason, "priority": priority, "linked": case.linked},
            )
            return case
    changed = []
    merged = _merge_linked(case.linked, linked)
    if merged != case.linked:
        case.linked = merged
        changed.append("linked")
    if _PRIORITY_RANK.get(priority, 0) > _PRIORITY_RANK.get(case.priority, 0):
        case.priority = priority
        changed.append("priority")
    if changed:
        case.save(update_fields=changed)
    _attach_links(case, linked)
    _case_event(
        case,
        kind=ReviewCaseEvent.Kind.LINKED,
        actor=opened_by,
        message=summary,
        data={"linked": linked or {}, "priority": case.priority},
    )
    return case


def _close(case_id: int, *, reviewer: Any, status: str, close_reason: str, note: str, event: str) -> ReviewCase:
    case = ReviewCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such review case.")
    if case.status != ReviewCase.Status.OPEN:
        raise Conflict("This case is already closed.", details={"status": case.status})
    if close_reason not in ReviewCase.CloseReason.values:
        raise ValueError(f"unknown close reason {close_reason!r}")
    case.status, case.close_reason = status, close_reason
    case.closed_at, case.closed_by = timezone.now(), reviewer
    case.save(update_fields=["status", "close_reason", "closed_at", "closed_by"])
    _case_event(case, kind=event, actor=reviewer, message=note, data={"close_reason": close_reason})
    audit_record(
        event_type=f"security.case_{event}",
        actor=reviewer,
        subject=case,
        old_values={"status": ReviewCase.Status.OPEN},
        new_values={"status": status, "close_reason": close_reason, "note": note},
    )
    return case


@transaction.atomic
def review_case_approve(
    *, case_id: int, reviewer: Any, close_reason: str = ReviewCase.CloseReason.LEGITIMATE, note: str = ""
) -> ReviewCase:
    """Close as not fraud. A freeze is lifted separately (`account_unfreeze`), so approving is never a side door."""
    return _close(
        case_id,
        reviewer=reviewer,
        status=ReviewCase.Status.APPROVED,
        close_reason=close_reason,
        note=note,
        event=ReviewCaseEvent.Kind.APPROVED,
    )


@transaction.atomic
def review_case_reject(
    *, case_id: int, reviewer: Any, close_reason: str = ReviewCase.CloseReason.FRAUDULENT, note: str = ""
) -> ReviewCase:
    """Close as fraud (or another rejecting reason)."""
    return _close(
        case_id,
        reviewer=reviewer,
        status=ReviewCase.Status.REJECTED,
        close_reason=close_reason,
        note=note,
        event=ReviewCaseEvent.Kind.REJECTED,
    )


@transaction.atomic
def review_case_assign(*, case_id: int, assignee: Any, actor: Any) -> ReviewCase:
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    old = case.assignee_id
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    _case_event(case, kind=ReviewCaseEvent.Kind.ASSIGNED, actor=actor, data={"assignee": str(assignee.pk)})
    audit_record(
        event_type="security.case_assigned",
        actor=actor,
        subject=case,
        old_values={"assignee": str(old) if old else None},
        new_values={"assignee": str(assignee.pk)},
    )
    return case


@transaction.atomic
def review_case_freeze_account(*, case_id: int, reviewer: Any, note: str = "") -> AccountFreeze:
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    return account_freeze(user=case.user, actor=reviewer, reason=note or f"review case {case.pk}", case=case)


@transaction.atomic
def review_case_unfreeze_account(*, case_id: int, reviewer: Any, note: str = "") -> bool:
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    return account_unfreeze(user=case.user, actor=reviewer, case=case, note=note)


def sponsorship_refusal_record(*, user: Any, rule: str, transaction_id: str | None = None) -> ReviewCase | None:
    """The transaction flow reports each refused sponsorship; at SECURITY_SPONSORSHIP_REFUSALS_MAX within
    SECURITY_SPONSORSHIP_REFUSALS_WINDOW_SECONDS a `sponsorship_refusals` case opens (or gains the new link)."""
    window = int(security_settings.SPONSORSHIP_REFUSALS_WINDOW_SECONDS)
    key = f"security:sponsorship-refusals:{user.pk}:{int(timezone.now().timestamp()) // window}"
    cache.add(key, 0, timeout=window + 1)
    count = cache.incr(key)
    if count < security_settings.SPONSORSHIP_REFUSALS_MAX:
        return None
    return review_case_open(
        user=user,
        reason=ReviewCase.OpenReason.SPONSORSHIP_REFUSALS,
        linked={"transactions": [transaction_id]} if transaction_id else None,
        summary=f"{count} sponsorship refusals within {window} s (last rule: {rule})",
    )


# --- counterparties, trusted addresses and feedback --------------------------------------------------------------


def counterparty_record(*, user: Any, address: str, source: str = Counterparty.Source.TRANSACTION) -> Counterparty:
    """Remember an address the user dealt with (the reference for poisoning and first-interaction checks). The
    transaction flow calls it for a settled operation's recipients; a contacts list calls it with source=contact."""
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


@transaction.atomic
def known_address_upsert(*, address: str, label: str, chain: Any = None, actor: Any = None) -> KnownAddress:
    """Trust a spender/operator contract (a marketplace, a router). Audited: it silences warnings."""
    address = to_checksum_address(address)
    row, created = KnownAddress.objects.update_or_create(address=address, chain=chain, defaults={"label": label})
    audit_record(
        event_type="security.known_address_saved",
        actor=actor,
        subject=row,
        new_values={"address": address, "label": label, "chain": chain.pk if chain else None, "created": created},
    )
    return row


@transaction.atomic
def scan_feedback_record(*, user: Any, simulation_id: Any, decision: str, note: str = "") -> ScanFeedback:
    """The user proceeded or cancelled after a verdict. Proceeding with a successful operation makes its
    recipients and contracts counterparties; the feedback joins any review case linked to the scan."""
    simulation = TransactionSimulation.objects.select_for_update().filter(pk=simulation_id, user=user).first()
    if simulation is None:
        raise NotFound("No such scan.")
    if ScanFeedback.objects.filter(simulation=simulation).exists():
        raise Conflict("Feedback for this scan was already recorded.")
    feedback = ScanFeedback.objects.create(simulation=simulation, user=user, decision=decision, note=note[:500])
    if decision == ScanFeedback.Decision.PROCEEDED and simulation.status == TransactionSimulation.Status.SUCCESS:
        result = simulation.result or {}
        account = simulation.account_address
        recipients = {t["to"] for t in result.get("transfers", []) if t["from"] == account and t["to"]}
        for address in sorted((recipients | set(result.get("call_targets", []))) - {account}):
            counterparty_record(user=user, address=address)
    for case in simulation.review_cases.filter(status=ReviewCase.Status.OPEN):
        _case_event(
            case,
            kind=ReviewCaseEvent.Kind.FEEDBACK,
            actor=user,
            message=note,
            data={"simulation": str(simulation.pk), "decision": decision, "action": simulation.action},
        )
    return feedback


# --- scans -------------------------------------------------------------------------------------------------------


def _account_address(account: Any) -> str:
    return to_checksum_address(getattr(account, "address", account))


def _clone_runtime(implementation: str) -> str:
    return "0x" + (_CLONE_RUNTIME_PREFIX + bytes.fromhex(implementation[2:]) + _CLONE_RUNTIME_SUFFIX).hex()


def _infrastructure(chain: Any, account: str) -> set[str]:
    """The platform's own addresses on this chain: never "new" or "unknown" to the user."""
    found = {
        account,
        chain.entry_point,
        chain.account_factory,
        chain.account_implementation,
        chain.webauthn_verifier,
        chain.paymaster,
    }
    return {to_checksum_address(a) for a in found if a}


def _simulate(*, chain: Any, request: SimulationRequest) -> tuple[SimulationTrace, bool]:
    """Run the configured backend, or serve an identical request at the same block from Redis."""
    simulator = get_simulator(chain)
    material = json.dumps(
        {"backend": simulator.name, "block": request.block_number, **request.as_json()}, sort_keys=True
    )
    key = "security:sim:" + hashlib.sha256(material.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        SIMULATION_CACHE.labels(result="hit").inc()
        return SimulationTrace.from_json(cached), True
    SIMULATION_CACHE.labels(result="miss").inc()
    with SIMULATION_SECONDS.labels(backend=simulator.name).time():
        trace = simulator.simulate(request)
    cache.set(key, trace.as_json(), timeout=security_settings.SIMULATION_CACHE_SECONDS)
    return trace, False


def _request_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _latest_block(node: Any) -> int:
    try:
        return int(node.request("eth_blockNumber", []), 16)
    except ChainUnavailable as exc:
        raise SimulationUnavailable(details={"reason": exc.message}) from exc


def _frozen_warning(user: Any) -> list[Warning]:
    if not account_is_frozen(user=user):
        return []
    return [Warning("account_frozen", "CRITICAL", "This account is frozen pending a security review.", {})]


def _record_scan(
    *,
    user: Any,
    chain: Any,
    account: str,
    kind: str,
    request_payload: dict[str, Any],
    block_number: int | None,
    from_cache: bool,
    backend: str,
    result: dict[str, Any],
    warnings: list[Warning],
    device: Any,
) -> Verdict:
    """Store the scan with its verdict; open review cases for BLOCK verdicts and velocity spikes."""
    verdict = verdict_from(warnings, simulation_id=None)
    if kind == TransactionSimulation.Kind.MESSAGE:
        status = TransactionSimulation.Status.NOT_SIMULATED
    elif result.get("success"):
        status = TransactionSimulation.Status.SUCCESS
    else:
        status = TransactionSimulation.Status.REVERTED
    with transaction.atomic():
        simulation = TransactionSimulation.objects.create(
            user=user,
            chain=chain,
            account_address=account,
            device=device,
            kind=kind,
            backend=backend,
            request=request_payload,
            request_hash=_request_hash(request_payload),
            block_number=block_number,
            from_cache=from_cache,
            status=status,
            revert_reason=(result.get("revert_reason") or "")[:500],
            gas_used=result.get("gas_used"),
            result=result,
            action=verdict.action,
            score=verdict.score,
            warnings=[w.as_dict() for w in verdict.warnings],
        )
        _open_cases_for(simulation, verdict, device=device)
    VERDICTS.labels(kind=kind, action=verdict.action).inc()
    return Verdict(verdict.action, verdict.score, verdict.warnings, str(simulation.pk))


def _open_cases_for(simulation: TransactionSimulation, verdict: Verdict, *, device: Any) -> None:
    linked: dict[str, list] = {"simulations": [str(simulation.pk)]}
    if device is not None:
        linked["devices"] = [str(device.pk)]
    # A frozen account's scans are BLOCKed by the freeze itself: only what would block without it is new evidence.
    without_freeze = verdict_from([w for w in verdict.warnings if w.kind != "account_frozen"], simulation_id=None)
    if without_freeze.action == "BLOCK":
        critical = [w.kind for w in verdict.warnings if w.severity == "CRITICAL"]
        review_case_open(
            user=simulation.user,
            reason=ReviewCase.OpenReason.BLOCK_VERDICT,
            priority=ReviewCase.Priority.HIGH if critical else ReviewCase.Priority.NORMAL,
            linked=linked,
            summary=f"BLOCK ({verdict.score}): {', '.join(verdict.kinds)}"[:300],
        )
    if "velocity" in verdict.kinds:
        review_case_open(
            user=simulation.user,
            reason=ReviewCase.OpenReason.VELOCITY_SPIKE,
            linked=linked,
            summary="Operations faster than SECURITY_VELOCITY_MAX_OPERATIONS per window",
        )


def _scan_call(
    *,
    user: Any,
    chain: Any,
    account: str,
    kind: str,
    sender: str,
    to: str,
    data: bytes,
    value: int,
    state_overrides: dict[str, dict[str, str]],
    request_payload: dict[str, Any],
    device: Any,
    session: Any,
) -> Verdict:
    node = get_node_client(chain)
    block = _latest_block(node)
    request = SimulationRequest(
        chain_id=chain.chain_id,
        sender=sender,
        to=to,
        data=data,
        value=value,
        gas=int(security_settings.SIMULATION_GAS),
        block_number=block,
        state_overrides=state_overrides,
    )
    trace, from_cache = _simulate(chain=chain, request=request)
    result = analysis.analyse(trace, account=account)
    ctx = risk.RiskContext(
        user=user,
        chain=chain,
        account=account,
        node=node,
        device=device,
        session=session,
        infrastructure=_infrastructure(chain, account),
    )
    warnings = _frozen_warning(user) + risk.simulation_warnings(result, ctx) + risk.actor_warnings(ctx)
    return _record_scan(
        user=user,
        chain=chain,
        account=account,
        kind=kind,
        request_payload=request_payload,
        block_number=block,
        from_cache=from_cache,
        backend=trace.backend,
        result=result,
        warnings=warnings,
        device=device,
    )


def scan_user_operation(
    *,
    user: Any,
    chain: Any,
    account: Any,
    calls: list[Call],
    user_op: UserOperation | None = None,
    device: Any = None,
    session: Any = None,
) -> Verdict:
    """Simulate the operation's calls from the account at the latest block and score them.

    The account's `execute` is called from the EntryPoint, exactly as handleOps will; an account that is not yet
    deployed gets its future code (the ERC-1167 clone of the implementation) as a state override. With `user_op`,
    its callData (what will be signed) is simulated; otherwise the calls are encoded here.
    """
    address = _account_address(account)
    call_data = user_op.call_data if user_op is not None else encode_execute(calls)
    node = get_node_client(chain)
    overrides: dict[str, dict[str, str]] = {}
    try:
        deployed = node.request("eth_getCode", [address, "latest"]) not in ("0x", None)
    except ChainUnavailable as exc:
        raise SimulationUnavailable(details={"reason": exc.message}) from exc
    if not deployed:
        implementation = chain.account_implementation or lykos_deployments().implementation.address
        overrides[address] = {"code": _clone_runtime(to_checksum_address(implementation))}
    payload = {
        "chain_id": chain.chain_id,
        "account": address,
        "calls": [
            {"target": to_checksum_address(c.target), "value": str(c.value), "data": "0x" + c.data.hex()} for c in calls
        ],
        "call_data": "0x" + call_data.hex(),
        "user_op": user_op.to_rpc() if user_op is not None else None,
        "deployed": deployed,
    }
    return _scan_call(
        user=user,
        chain=chain,
        account=address,
        kind=TransactionSimulation.Kind.USER_OPERATION,
        sender=chain.entry_point,
        to=address,
        data=call_data,
        value=0,
        state_overrides=overrides,
        request_payload=payload,
        device=device,
        session=session,
    )


def scan_transaction(
    *,
    user: Any,
    chain: Any,
    sender: str,
    to: str,
    value: int = 0,
    data: bytes = b"",
    device: Any = None,
    session: Any = None,
) -> Verdict:
    """Simulate a plain transaction from `sender` (the user's account or one of their keys) and score it."""
    sender = to_checksum_address(sender)
    payload = {
        "chain_id": chain.chain_id,
        "from": sender,
        "to": to_checksum_address(to),
        "value": str(value),
        "data": "0x" + data.hex(),
    }
    return _scan_call(
        user=user,
        chain=chain,
        account=sender,
        kind=TransactionSimulation.Kind.TRANSACTION,
        sender=sender,
        to=to_checksum_address(to),
        data=data,
        value=value,
        state_overrides={},
        request_payload=payload,
        device=device,
        session=session,
    )


def scan_message(
    *, user: Any, chain: Any, account: str, typed_data: dict[str, Any], device: Any = None, session: Any = None
) -> Verdict:
    """Scan EIP-712 typed data the user is asked to sign (permits, Permit2, Seaport orders)."""
    node = get_node_client(chain) if chain is not None else None
    ctx = risk.RiskContext(user=user, chain=chain, account=account, node=node, device=device, session=session)
    message_type, warnings = message_warnings(typed_data, ctx)
    warnings = _frozen_warning(user) + warnings + risk.actor_warnings(ctx, count_velocity=False)
    return _record_scan(
        user=user,
        chain=chain,
        account=account,
        kind=TransactionSimulation.Kind.MESSAGE,
        request_payload={"typed_data": typed_data},
        block_number=None,
        from_cache=False,
        backend="",
        result={"message_type": message_type, "success": True},
        warnings=warnings,
        device=device,
    )


# --- re-scoring (Celery) and threat lists ------------------------------------------------------------------------


def simulation_rescore(*, simulation_id: Any) -> TransactionSimulation | None:
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
        infrastructure=_infrastructure(simulation.chain, simulation.account_address),
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
            _open_cases_for(simulation, verdict, device=simulation.device)
    return simulation


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


def threat_entry_upsert(
    *,
    address: str,
    category: str,
    source: str,
    chain: Any = None,
    note: str = "",
    active: bool = True,
    actor: Any = None,
) -> tuple[ThreatListEntry, str]:
    """Add or update one threat-list entry; returns (entry, "created" | "updated" | "unchanged"). Audited when
    something changed."""
    address = to_checksum_address(address)
    if category not in ThreatListEntry.Category.values:
        raise ValueError(f"unknown category {category!r}")
    with transaction.atomic():
        entry = ThreatListEntry.objects.select_for_update().filter(address=address, chain=chain).first()
        if entry is None:
            entry = ThreatListEntry.objects.create(
                address=address, chain=chain, category=category, source=source[:64], note=note[:300], active=active
            )
            outcome, old = "created", None
        else:
            old = {"category": entry.category, "source": entry.source, "note": entry.note, "active": entry.active}
            new = {"category": category, "source": source[:64], "note": note[:300] or entry.note, "active": active}
            if old == new:
                return entry, "unchanged"
            for field, value in new.items():
                setattr(entry, field, value)
            entry.save()
            outcome = "updated"
        audit_record(
            event_type=f"security.threat_{outcome}",
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

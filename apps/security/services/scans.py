"""Scans: simulate a transaction or a UserOperation (or read a typed-data message), score it with the risk rules,
store it with its verdict, and open review cases for what a reviewer must see."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import transaction
from eth_utils import to_checksum_address
from prometheus_client import Counter

from apps.chain import values
from apps.chain.clients import NodeClient, get_node_client
from apps.chain.contracts import lykos_deployments
from apps.chain.errors import ChainUnavailable
from apps.chain.userops import Call, UserOperation, encode_execute
from apps.security import analysis, risk
from apps.security.adapters import SimulationRequest
from apps.security.conf import security_settings
from apps.security.errors import SimulationUnavailable
from apps.security.models import ReviewCase, TransactionSimulation
from apps.security.services.freezes import account_is_frozen
from apps.security.services.reviews import review_case_open
from apps.security.services.simulation import simulation_run
from apps.security.verdicts import Verdict, Warning, verdict_from
from lykos.errors import InvalidRequest

if TYPE_CHECKING:
    from apps.chain.models import Account, Chain
    from apps.identity.models import Passkey, Session, User

VERDICTS = Counter("lykos_security_verdicts_total", "Scan verdicts", ["kind", "action"])

# ERC-1167 minimal proxy runtime code around the implementation: what an undeployed account will have once its
# first operation runs the factory. Used as a state override so its calls simulate before deployment.
_CLONE_RUNTIME_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
_CLONE_RUNTIME_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")


def scan_user_operation(
    *,
    user: User,
    chain: Chain,
    account: Account | str,
    calls: list[Call],
    user_op: UserOperation | None = None,
    device: Passkey | None = None,
    session: Session | None = None,
) -> Verdict:
    """Simulate the operation's calls from the account at the latest block and score them.

    The account's `execute` is called from the EntryPoint, exactly as handleOps will; an account that is not yet
    deployed gets its future code (the ERC-1167 clone of the implementation) as a state override. With `user_op`,
    its callData (what will be signed) is simulated; otherwise the calls are encoded here.
    """
    address = to_checksum_address(getattr(account, "address", account))
    call_data = user_op.call_data if user_op is not None else encode_execute(calls)
    with _chain_required():
        deployed = get_node_client(chain).is_deployed(address)
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
        state_overrides={} if deployed else _future_account_code(chain, address),
        request_payload=payload,
        device=device,
        session=session,
    )


def scan_transaction(
    *,
    user: User,
    chain: Chain,
    sender: str,
    to: str,
    value: int = 0,
    data: bytes = b"",
    device: Passkey | None = None,
    session: Session | None = None,
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
    *,
    user: User,
    chain: Chain | None,
    account: str,
    typed_data: dict[str, Any],
    device: Passkey | None = None,
    session: Session | None = None,
) -> Verdict:
    """Scan EIP-712 typed data the user is asked to sign (permits, Permit2, Seaport orders)."""
    node = get_node_client(chain) if chain is not None else None
    ctx = risk.RiskContext(user=user, chain=chain, account=account, node=node, device=device, session=session)
    try:
        message_type, warnings = risk.message_warnings(typed_data, ctx)
    except values.EvmValueError as exc:
        # A number or address in the message breaks the value rules: the message, not our scan, is at fault.
        raise InvalidRequest(exc.message, details={"fields": {"typed_data": [exc.message]}}) from exc
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


def platform_addresses(chain: Chain, account: str) -> set[str]:
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


def scan_cases_open(simulation: TransactionSimulation, verdict: Verdict, *, device: Passkey | None) -> None:
    """A BLOCK verdict and a velocity spike each open (or add to) a review case linking the scan."""
    linked: dict[str, list[str]] = {"simulations": [str(simulation.pk)]}
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


# --- the steps of a call scan: read the chain, simulate, decode, score, record ---------------------------------


def _scan_call(
    *,
    user: User,
    chain: Chain,
    account: str,
    kind: str,
    sender: str,
    to: str,
    data: bytes,
    value: int,
    state_overrides: dict[str, dict[str, str]],
    request_payload: dict[str, Any],
    device: Passkey | None,
    session: Session | None,
) -> Verdict:
    node = get_node_client(chain)
    with _chain_required():
        block = node.block_number()
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
    trace, from_cache = simulation_run(chain=chain, request=request)
    result = analysis.analyse(trace, account=account)
    warnings = _call_warnings(
        result, user=user, chain=chain, account=account, node=node, device=device, session=session
    )
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


def _call_warnings(
    result: dict[str, Any],
    *,
    user: User,
    chain: Chain,
    account: str,
    node: NodeClient,
    device: Passkey | None,
    session: Session | None,
) -> list[Warning]:
    ctx = risk.RiskContext(
        user=user,
        chain=chain,
        account=account,
        node=node,
        device=device,
        session=session,
        infrastructure=platform_addresses(chain, account),
    )
    return _frozen_warning(user) + risk.simulation_warnings(result, ctx) + risk.actor_warnings(ctx)


def _record_scan(
    *,
    user: User,
    chain: Chain | None,
    account: str,
    kind: str,
    request_payload: dict[str, Any],
    block_number: int | None,
    from_cache: bool,
    backend: str,
    result: dict[str, Any],
    warnings: list[Warning],
    device: Passkey | None,
) -> Verdict:
    """Store the scan with its verdict; open review cases for BLOCK verdicts and velocity spikes."""
    verdict = verdict_from(warnings, simulation_id=None)
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
            status=_scan_status(kind, result),
            revert_reason=(result.get("revert_reason") or "")[:500],
            gas_used=result.get("gas_used"),
            result=result,
            action=verdict.action,
            score=verdict.score,
            warnings=[w.as_dict() for w in verdict.warnings],
        )
        scan_cases_open(simulation, verdict, device=device)
    VERDICTS.labels(kind=kind, action=verdict.action).inc()
    return Verdict(verdict.action, verdict.score, verdict.warnings, str(simulation.pk))


def _scan_status(kind: str, result: dict[str, Any]) -> str:
    if kind == TransactionSimulation.Kind.MESSAGE:
        return TransactionSimulation.Status.NOT_SIMULATED
    return TransactionSimulation.Status.SUCCESS if result.get("success") else TransactionSimulation.Status.REVERTED


def _frozen_warning(user: User) -> list[Warning]:
    if not account_is_frozen(user=user):
        return []
    return [Warning("account_frozen", "CRITICAL", "This account is frozen pending a security review.", {})]


def _future_account_code(chain: Chain, address: str) -> dict[str, dict[str, str]]:
    """The state override giving an undeployed account the code its factory will give it."""
    implementation = to_checksum_address(chain.account_implementation or lykos_deployments().implementation.address)
    runtime = _CLONE_RUNTIME_PREFIX + bytes.fromhex(implementation[2:]) + _CLONE_RUNTIME_SUFFIX
    return {address: {"code": "0x" + runtime.hex()}}


def _request_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@contextmanager
def _chain_required() -> Iterator[None]:
    """A read the scan cannot do without: the node being down makes the simulator unavailable (503, retried)."""
    try:
        yield
    except ChainUnavailable as exc:
        raise SimulationUnavailable(details={"reason": exc.message}) from exc

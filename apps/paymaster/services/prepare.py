"""Preparing an operation: build -> scan -> sponsor -> persist; the result waits for the passkey signature.

Network work (the bundler's estimates, the security scan, balance reads) happens in the first steps, before any
row is locked, so that no lock (a sponsorship budget) is held across a round trip. Only `_persist` opens a
transaction: the account row serialises nonce decisions there, and the policy row guards its budget.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.chain.clients import NodeClient, get_bundler_client, get_node_client
from apps.chain.selectors import account_get, chain_get
from apps.chain.services import account_lock
from apps.chain.userops import Call, UserOperation
from apps.identity.selectors import device_active_by_ids, device_active_list, session_with_device
from apps.paymaster.audit import PaymasterAuditEvent
from apps.paymaster.errors import (
    ChainNotServed,
    InsufficientFunds,
    NoAccount,
    NoActiveDevice,
    RiskBlocked,
    SponsorshipChanged,
    SponsorshipRefused,
)
from apps.paymaster.models import SponsorshipLedgerEntry, SponsorshipPolicy, Transaction
from apps.paymaster.services.builder import build_user_operation, owner_signer_bytes, user_op_hash_hex
from apps.paymaster.services.closing import transaction_expire
from apps.paymaster.services.intents import call_selector, erc20_transfer_of, intent_calls
from apps.paymaster.services.sponsorship import (
    SponsorshipRequest,
    sponsorship_evaluate,
    sponsorship_paymaster_data,
    sponsorship_reserve,
)
from apps.security import services as security
from lykos.audit.services import audit_record

if TYPE_CHECKING:
    from apps.chain.models import Account, Chain
    from apps.identity.models import Passkey, Session, User
    from apps.security.verdicts import Verdict

_IN_FLIGHT = (Transaction.Status.SIGNED, Transaction.Status.SUBMITTED)


@dataclass(frozen=True)
class _Draft:
    """An operation built for one account, and how to build it again in the other shape (with or without the
    paymaster's fields, which change the gas): each step refines it before `_persist` stores it."""

    chain: Chain
    account: Account
    calls: list[Call]
    node: NodeClient
    op: UserOperation
    rebuild: Callable[..., UserOperation]
    device: Passkey  # the device that will sign (its key shaped the estimate)


@dataclass(frozen=True)
class _Sponsorship:
    """What `_sponsor` decided: the request a reservation will repeat, and why policies refused (shown once)."""

    request: SponsorshipRequest
    refusals: list[dict[str, str]]
    policies: list[SponsorshipPolicy]


def chain_account_get(*, user: User, chain_id: int) -> tuple[Chain, Account]:
    """The enabled chain and the user's account on it, or the refusal a client can act on."""
    chain = chain_get(chain_id=chain_id)
    if chain is None:
        raise ChainNotServed(details={"fields": {"chain_id": ["unknown"]}})
    account = account_get(user=user, chain_id=chain_id)
    if account is None:
        raise NoAccount()
    return chain, account


def transaction_prepare(
    *,
    user: User,
    chain_id: int,
    intent: dict[str, Any],
    sponsorship: str = "preferred",
    device_id: uuid.UUID | None = None,
    purpose: str = Transaction.Purpose.USER,
    subject_device: Passkey | None = None,
    calls: list[Call] | None = None,
    validity_seconds: int | None = None,
    signature_proof_depth: int = 0,
    session_id: uuid.UUID | None = None,
) -> Transaction:
    """Build, scan and (when a policy pays) sponsor one operation; the result waits for the passkey signature.

    `sponsorship` is "preferred" (a policy pays when one covers the op), "required" (refuse otherwise) or "none".
    `calls` skips intent validation for operations the app builds itself (owner changes). `validity_seconds`
    (default: the prepare TTL) is how long the op and its paymaster signature stay valid; `signature_proof_depth`
    sizes the estimate for a multi-operation signature (services.revocation). `session_id` is the identity session
    asking (the access token's): the scan weighs who acts, not only what the call does.
    """
    if calls is None:
        calls, intent = intent_calls(intent)
    draft = _build(
        user=user,
        chain_id=chain_id,
        calls=calls,
        sponsorship=sponsorship,
        device_id=device_id,
        purpose=purpose,
        signature_proof_depth=signature_proof_depth,
    )
    session = session_with_device(session_id=session_id)
    verdict = _scan(user=user, draft=draft, session=session if session and session.user_id == user.pk else None)
    draft, offer = _sponsor(user=user, draft=draft, verdict=verdict, sponsorship=sponsorship, purpose=purpose)
    _check_funds(draft)
    return _persist(
        user=user,
        draft=draft,
        offer=offer,
        verdict=verdict,
        sponsorship=sponsorship,
        intent=intent,
        purpose=purpose,
        subject_device=subject_device,
        validity_seconds=validity_seconds or settings.TRANSACTION_PREPARE_TTL_SECONDS,
    )


# --- the steps ------------------------------------------------------------------------------------------


def _build(
    *,
    user: User,
    chain_id: int,
    calls: list[Call],
    sponsorship: str,
    device_id: uuid.UUID | None,
    purpose: str,
    signature_proof_depth: int,
) -> _Draft:
    """An estimated operation in the sponsored shape whenever the chain has a paymaster and the client allows it:
    the estimate must cover the paymaster's validation, and a frozen account is refused before any network work,
    except the removal of a revoked device: a freeze must never keep a stolen passkey an owner."""
    chain, account = chain_account_get(user=user, chain_id=chain_id)
    if purpose != Transaction.Purpose.OWNER_REMOVE:
        security.ensure_not_frozen(user=user)
    node, bundler = get_node_client(chain), get_bundler_client(chain)
    device = _signing_device(user, device_id)
    signer = owner_signer_bytes(chain=chain, passkey=device)
    use_paymaster = bool(chain.paymaster) and sponsorship != "none"
    if sponsorship == "required" and not use_paymaster:
        raise SponsorshipRefused(details={"rule": "no_paymaster_on_chain", "refusals": []})
    build = functools.partial(
        build_user_operation,
        chain=chain,
        account=account,
        calls=calls,
        signer=signer,
        node=node,
        bundler=bundler,
        min_nonce=_next_free_nonce(account),
        signature_proof_depth=signature_proof_depth,
    )
    op = build(sponsored_shape=use_paymaster)
    return _Draft(chain=chain, account=account, calls=calls, node=node, op=op, rebuild=build, device=device)


def _scan(*, user: User, draft: _Draft, session: Session | None) -> Verdict:
    """The security scan sees the exact operation and who asks for it (the session, and its device, else the
    device that will sign); BLOCK stops here, WARN is shown and may cost sponsorship."""
    verdict = security.scan_user_operation(
        user=user,
        chain=draft.chain,
        account=draft.account,
        calls=draft.calls,
        user_op=draft.op,
        device=session.device if session is not None else draft.device,
        session=session,
    )
    if verdict.action == "BLOCK":
        raise RiskBlocked(details={"verdict": verdict.as_dict()})
    return verdict


def _policies_for(purpose: str) -> list[SponsorshipPolicy]:
    """The policies that may pay, in order. The system's owner-change policies pay only for removing a revoked
    device and are tried first for it, so no user budget can starve a revocation; users' policies come after."""
    enabled = SponsorshipPolicy.objects.filter(enabled=True)
    general = list(enabled.filter(kind=SponsorshipPolicy.Kind.GENERAL))
    if purpose == Transaction.Purpose.OWNER_REMOVE:
        return list(enabled.filter(kind=SponsorshipPolicy.Kind.OWNER_CHANGES)) + general
    return general


def _sponsor(
    *, user: User, draft: _Draft, verdict: Verdict, sponsorship: str, purpose: str
) -> tuple[_Draft, _Sponsorship]:
    """Ask the policies whether one would pay, without reserving yet (that happens under the lock in `_persist`).
    A refusal is reported to security (repeated refusals open a review) and the user pays instead, unless the
    client required sponsorship. The platform's own owner changes are not refused for the device change they
    are about: they carry no warning kinds to the per-signal rules."""
    request = SponsorshipRequest(
        chain_id=draft.chain.chain_id,
        sender=draft.account.address,
        max_cost_wei=draft.op.max_cost(),
        calls=[(call.target, call.value, call_selector(call)) for call in draft.calls],
        user=user,
        account_frozen=security.account_is_frozen(user=user),
        risk_action=verdict.action,
        risk_kinds=frozenset(verdict.kinds) if purpose == Transaction.Purpose.USER else frozenset(),
    )
    policies = _policies_for(purpose)
    if not draft.op.paymaster:
        return draft, _Sponsorship(request=request, refusals=[], policies=policies)
    decision = sponsorship_evaluate(request=request, policies=policies)
    if not decision.sponsored:
        if decision.rule:
            security.sponsorship_refusal_record(user=user, rule=decision.rule)
        if sponsorship == "required":
            raise SponsorshipRefused(details={"rule": decision.rule, "refusals": decision.refusals})
        draft = replace(draft, op=draft.rebuild(sponsored_shape=False))
    return draft, _Sponsorship(request=request, refusals=decision.refusals, policies=policies)


def _check_funds(draft: _Draft) -> None:
    """The account's ETH pays the calls' value; gas (unless sponsored) comes from its EntryPoint deposit first,
    then its ETH. Checked before anything is stored, so that a refused op leaves no row and no reservation."""
    node, account, calls = draft.node, draft.account, draft.calls
    gas_cost = 0 if draft.op.paymaster else draft.op.max_cost()
    native_needed = sum(call.value for call in calls) + gas_cost
    native = node.native_balance(account.address)
    if gas_cost:
        native += node.entry_point_deposit(entry_point=draft.chain.entry_point, account=account.address)
    if native < native_needed:
        raise InsufficientFunds(
            details={
                "asset": "native",
                "needed": str(native_needed),
                "available": str(native),
                "gas_wei": str(gas_cost),
            }
        )
    for call in calls:
        transfer = erc20_transfer_of(call)
        if transfer is not None:
            token, amount = transfer
            held = node.erc20_balance(token=token, owner=account.address)
            if held < amount:
                raise InsufficientFunds(details={"asset": token, "needed": str(amount), "available": str(held)})


def _persist(
    *,
    user: User,
    draft: _Draft,
    offer: _Sponsorship,
    verdict: Verdict,
    sponsorship: str,
    intent: dict[str, Any],
    purpose: str,
    subject_device: Passkey | None,
    validity_seconds: int,
) -> Transaction:
    """Store the operation under the account's row lock: an identical waiting op is answered again, older
    unsigned ones holding the nonce are superseded, and a sponsored op reserves its budget and gets its paymaster
    signature (part of the hash) before the row is written."""
    chain, account, op = draft.chain, draft.account, draft.op
    expires_at = timezone.now() + timedelta(seconds=validity_seconds)
    chain_now = draft.node.block_timestamp() if op.paymaster else 0  # read before the lock is taken
    with transaction.atomic():
        account_lock(account_id=account.pk)
        same = _identical_waiting(account=account, op=op, chain=chain)
        if same is not None:
            return same
        _supersede_waiting(account=account, nonce=op.nonce)
        tx = Transaction(
            user=user,
            chain=chain,
            account=account,
            purpose=purpose,
            subject_device=subject_device,
            intent=intent,
            calls=[{"to": c.target, "value": str(c.value), "data": "0x" + c.data.hex()} for c in draft.calls],
            nonce=op.nonce,
            verdict=verdict.as_dict(),
            expires_at=expires_at,
            max_cost_wei=op.max_cost(),
        )
        entry: SponsorshipLedgerEntry | None = None
        if op.paymaster:
            op, entry, tx.policy = _reserve_and_sign(
                draft=draft,
                offer=offer,
                sponsorship=sponsorship,
                expires_at=expires_at,
                chain_now=chain_now,
                validity_seconds=validity_seconds,
            )
            tx.sponsored = True
        tx.user_op, tx.user_op_hash = op.to_rpc(), user_op_hash_hex(op, chain=chain)
        tx.save(force_insert=True)
        if entry is not None:
            entry.transaction, entry.user_op_hash = tx, tx.user_op_hash
            entry.save(update_fields=["transaction", "user_op_hash"])
        audit_record(
            event_type=PaymasterAuditEvent.TRANSACTION_PREPARED,
            actor=user,
            subject=tx,
            new_values={
                "user_op_hash": tx.user_op_hash,
                "sponsored": tx.sponsored,
                "policy": tx.policy.name if tx.policy else None,
                "sponsorship_refusals": offer.refusals,
                "verdict": verdict.action,
            },
        )
    tx.sponsorship_refusals = offer.refusals
    return tx


def _reserve_and_sign(
    *,
    draft: _Draft,
    offer: _Sponsorship,
    sponsorship: str,
    expires_at: datetime,
    chain_now: int,
    validity_seconds: int,
) -> tuple[UserOperation, SponsorshipLedgerEntry, SponsorshipPolicy | None]:
    """Reserve the worst case under the policy's row lock, then sign paymasterData for the op."""
    decision, entry = sponsorship_reserve(request=offer.request, valid_until=expires_at, policies=offer.policies)
    if entry is None:
        # The budget moved between evaluation and reservation (a concurrent request won it).
        if sponsorship == "required":
            raise SponsorshipRefused(details={"rule": decision.rule, "refusals": decision.refusals})
        raise SponsorshipChanged(details={"rule": decision.rule})
    data = sponsorship_paymaster_data(draft.op, chain=draft.chain, chain_now=chain_now, ttl=validity_seconds)
    return draft.op.replace(paymaster_data=data), entry, decision.policy


# --- helpers --------------------------------------------------------------------------------------------


def _signing_device(user: User, device_id: uuid.UUID | None) -> Passkey:
    """The device the client named if it is active, else the user's oldest active one (its key shapes the
    dummy signature the estimate is made with)."""
    device = device_active_by_ids(user=user, device_ids=[device_id]).first() if device_id else None
    device = device or device_active_list(user=user).first()
    if device is None:
        raise NoActiveDevice()
    return device


def _next_free_nonce(account: Account) -> int:
    """Nonces held by signed or submitted operations are taken; the next prepare starts after them."""
    highest = (
        Transaction.objects.filter(account=account, status__in=_IN_FLIGHT)
        .order_by("-nonce")
        .values_list("nonce", flat=True)
        .first()
    )
    return 0 if highest is None else int(highest) + 1


def _identical_waiting(*, account: Account, op: UserOperation, chain: Chain) -> Transaction | None:
    """An unsponsored op built twice from one intent is the same op: answer with the one already waiting."""
    if op.paymaster:
        return None  # a sponsored op carries a fresh paymaster signature and validity window each time
    return Transaction.objects.filter(
        account=account,
        user_op_hash=user_op_hash_hex(op, chain=chain),
        status=Transaction.Status.PREPARED,
        expires_at__gt=timezone.now(),
    ).first()


def _supersede_waiting(*, account: Account, nonce: int) -> None:
    """A new prepare replaces unsigned ones holding the same nonce: only one of them could ever land."""
    for tx_id in Transaction.objects.filter(
        account=account, status=Transaction.Status.PREPARED, nonce__gte=nonce
    ).values_list("id", flat=True):
        transaction_expire(transaction_id=tx_id, reason="superseded")

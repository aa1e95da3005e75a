"""Sponsorship: which policy (if any) pays for an operation, and the ledger that keeps budgets honest.

Evaluation names the rule that refused, so a wallet or an integrator can say why. Reservation happens under
`SELECT ... FOR UPDATE` on the policy row: concurrent requests against one budget are serialised there, so the
sum of reservations and settlements can never pass the budget. A reservation is the operation's worst-case
cost; the receipt's `actualGasCost` settles it; failure or expiry releases it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, QuerySet, Sum, When
from django.utils import timezone
from eth_utils import to_checksum_address

from apps.chain import paymaster_data
from apps.chain.model_fields import Uint256Field
from apps.chain.userops import UserOperation
from apps.paymaster.audit import PaymasterAuditEvent
from apps.paymaster.models import PaymasterApiKey, SponsorshipLedgerEntry, SponsorshipPolicy, Transaction
from apps.paymaster.signer import paymaster_signer_key
from lykos.audit.services import audit_record

if TYPE_CHECKING:
    from apps.chain.models import Chain
    from apps.identity.models import User

WINDOWS: dict[str, timedelta] = {
    SponsorshipPolicy.Window.HOUR: timedelta(hours=1),
    SponsorshipPolicy.Window.DAY: timedelta(days=1),
    SponsorshipPolicy.Window.WEEK: timedelta(weeks=1),
    SponsorshipPolicy.Window.MONTH: timedelta(days=30),
}
NATIVE_TARGET = "native"
# The scan's warnings a `deny_new_device` policy refuses on.
NEW_DEVICE_KINDS = frozenset({"new_device", "new_counterparty_after_device_change"})


@dataclass(frozen=True)
class SponsorshipRequest:
    """Everything a policy looks at. `calls` are (target, value, selector-or-None)."""

    chain_id: int
    sender: str
    max_cost_wei: int
    calls: list[tuple[str, int, str | None]]
    user: User | None = None  # None for an outside ERC-7677 client's operation
    account_frozen: bool = False
    risk_action: str = "NONE"  # NONE | WARN | BLOCK
    # The scan's warning kinds, for rules that refuse on one signal whatever the score (`deny_new_device`).
    risk_kinds: frozenset[str] = frozenset()


@dataclass
class SponsorshipDecision:
    policy: SponsorshipPolicy | None
    refusals: list[dict[str, str]] = field(default_factory=list)

    @property
    def sponsored(self) -> bool:
        return self.policy is not None

    @property
    def rule(self) -> str | None:
        """The rule that refused the highest-priority applicable policy."""
        return self.refusals[0]["rule"] if self.refusals else None


def _spent(qs: QuerySet[SponsorshipLedgerEntry]) -> tuple[int, int]:
    """Committed money (settled amount, or the reservation while open) and op count in `qs`."""
    amount = Case(
        When(status=SponsorshipLedgerEntry.Status.SETTLED, then="settled_wei"),
        default="reserved_wei",
        output_field=Uint256Field(),
    )
    row = qs.exclude(status=SponsorshipLedgerEntry.Status.RELEASED).aggregate(total=Sum(amount), ops=Count("id"))
    return row["total"] or 0, row["ops"] or 0


def _refusal(policy: SponsorshipPolicy, request: SponsorshipRequest, now: datetime) -> tuple[str, str] | None:
    """The first rule of `policy` that refuses `request`, as (rule, message); None when it may pay."""
    sender = to_checksum_address(request.sender)
    if not policy.enabled:
        return "policy_disabled", "The policy is disabled."
    if policy.chain_id is not None and policy.chain_id != request.chain_id:
        return "chain_not_covered", "The policy does not cover this chain."
    if policy.starts_at and now < policy.starts_at:
        return "outside_time_window", "The policy has not started yet."
    if policy.ends_at and now >= policy.ends_at:
        return "outside_time_window", "The policy has ended."
    if policy.deny_frozen_accounts and request.account_frozen:
        return "account_frozen", "The account is frozen."
    if request.risk_action == "BLOCK" or (policy.deny_risky_operations and request.risk_action == "WARN"):
        return "risky_operation", "The security scan flagged this operation."
    if policy.deny_new_device and request.risk_kinds & NEW_DEVICE_KINDS:
        return "new_device", "A passkey was added to this account recently."
    if sender in {to_checksum_address(a) for a in policy.blocked_senders}:
        return "sender_blocked", "This sender is blocked by the policy."
    if policy.allowed_senders and sender not in {to_checksum_address(a) for a in policy.allowed_senders}:
        return "sender_not_allowed", "This sender is not on the policy's allowlist."
    if policy.allowed_targets:
        allowed = {
            (NATIVE_TARGET if k == NATIVE_TARGET else to_checksum_address(k)): {s.lower() for s in v}
            for k, v in policy.allowed_targets.items()
        }
        for target, value, selector in request.calls:
            if selector is None and value > 0:
                # A plain value transfer: "native" allows it to any recipient.
                if NATIVE_TARGET not in allowed:
                    return "target_not_allowed", "Native transfers are not sponsored by this policy."
                continue
            # A call with data, or an empty call (which runs the target's fallback): the target must be listed.
            selector = selector or "0x"
            selectors = allowed.get(to_checksum_address(target))
            if selectors is None or ("*" not in selectors and selector.lower() not in selectors):
                return "target_not_allowed", f"Calls to {target} ({selector}) are not sponsored by this policy."
    if policy.per_op_max_cost_wei is not None and request.max_cost_wei > policy.per_op_max_cost_wei:
        return "over_per_op_cost", "The operation may cost more than the policy pays per operation."
    return None


def _budget_refusal(policy: SponsorshipPolicy, request: SponsorshipRequest, now: datetime) -> tuple[str, str] | None:
    """Budget and count rules; only meaningful under the policy's row lock."""
    ledger = SponsorshipLedgerEntry.objects.filter(policy=policy)
    if policy.global_budget_wei is not None:
        spent, _ = _spent(ledger.filter(created_at__gte=now - WINDOWS[policy.global_window]))
        if spent + request.max_cost_wei > policy.global_budget_wei:
            return "over_global_budget", "The policy's budget for this period is spent."
    # Our own users are counted per user (all their accounts); outside ERC-7677 clients per sender address.
    mine = (
        ledger.filter(user=request.user) if request.user else ledger.filter(sender=to_checksum_address(request.sender))
    )
    if policy.per_user_budget_wei is not None or policy.per_user_max_ops is not None:
        spent, ops = _spent(mine.filter(created_at__gte=now - WINDOWS[policy.per_user_window]))
        if policy.per_user_budget_wei is not None and spent + request.max_cost_wei > policy.per_user_budget_wei:
            return "over_per_user_budget", "Your sponsored gas for this period is used up."
        if policy.per_user_max_ops is not None and ops + 1 > policy.per_user_max_ops:
            return "over_op_count", "You have used all sponsored operations for this period."
    if policy.new_user_free_ops is not None:
        _, lifetime_ops = _spent(mine)
        if lifetime_ops + 1 > policy.new_user_free_ops:
            return "new_user_allowance_used", "The sponsored operations for new users are used up."
    return None


def sponsorship_evaluate(
    *, request: SponsorshipRequest, policies: list[SponsorshipPolicy] | None = None
) -> SponsorshipDecision:
    """Which policy would pay, without reserving (used for display and for the ERC-7677 stub)."""
    now = timezone.now()
    decision = SponsorshipDecision(policy=None)
    for policy in policies if policies is not None else SponsorshipPolicy.objects.filter(enabled=True):
        refusal = _refusal(policy, request, now) or _budget_refusal(policy, request, now)
        if refusal is None:
            decision.policy = policy
            return decision
        decision.refusals.append({"policy": policy.name, "rule": refusal[0], "message": refusal[1]})
    return decision


def sponsorship_reserve(
    *,
    request: SponsorshipRequest,
    valid_until: datetime,
    policies: list[SponsorshipPolicy] | None = None,
    transaction_obj: Transaction | None = None,
    api_key: PaymasterApiKey | None = None,
) -> tuple[SponsorshipDecision, SponsorshipLedgerEntry | None]:
    """Find a policy that pays and reserve the worst-case cost under its row lock. Call inside an atomic block;
    the caller records the operation's hash on the entry once the paymaster signature (part of the hash) exists."""
    now = timezone.now()
    decision = SponsorshipDecision(policy=None)
    candidates = policies if policies is not None else list(SponsorshipPolicy.objects.filter(enabled=True))
    for candidate in candidates:
        refusal = _refusal(candidate, request, now)
        if refusal is None:
            with transaction.atomic():
                policy = SponsorshipPolicy.objects.select_for_update().get(pk=candidate.pk)
                refusal = _refusal(policy, request, now) or _budget_refusal(policy, request, now)
                if refusal is None:
                    entry = SponsorshipLedgerEntry.objects.create(
                        policy=policy,
                        user=request.user,
                        sender=to_checksum_address(request.sender),
                        transaction=transaction_obj,
                        api_key=api_key,
                        reserved_wei=request.max_cost_wei,
                        valid_until=valid_until,
                    )
                    audit_record(
                        event_type=PaymasterAuditEvent.SPONSORSHIP_RESERVED,
                        actor=request.user,
                        actor_type=None if request.user else "platform",
                        subject=entry,
                        new_values={
                            "policy": policy.name,
                            "reserved_wei": str(request.max_cost_wei),
                            "sender": entry.sender,
                        },
                    )
                    decision.policy = policy
                    return decision, entry
        decision.refusals.append({"policy": candidate.name, "rule": refusal[0], "message": refusal[1]})
    return decision, None


@transaction.atomic
def _entry_for_update(user_op_hash: str) -> SponsorshipLedgerEntry | None:
    """The live entry of an op hash (at most one), else the newest released one with that hash."""
    entries = SponsorshipLedgerEntry.objects.select_for_update().filter(user_op_hash=user_op_hash)
    return entries.exclude(status=SponsorshipLedgerEntry.Status.RELEASED).first() or entries.first()


def sponsorship_settle(*, user_op_hash: str, actual_gas_cost_wei: int) -> SponsorshipLedgerEntry | None:
    entry = _entry_for_update(user_op_hash)
    if entry is None or entry.status == SponsorshipLedgerEntry.Status.SETTLED:
        return entry
    old_status = entry.status
    entry.status = SponsorshipLedgerEntry.Status.SETTLED
    entry.settled_wei = actual_gas_cost_wei
    entry.closed_at = timezone.now()
    entry.save(update_fields=["status", "settled_wei", "closed_at"])
    audit_record(
        event_type=PaymasterAuditEvent.SPONSORSHIP_SETTLED,
        subject=entry,
        old_values={"status": old_status, "reserved_wei": str(entry.reserved_wei)},
        new_values={"status": entry.status, "settled_wei": str(actual_gas_cost_wei)},
    )
    return entry


@transaction.atomic
def sponsorship_release(*, user_op_hash: str, reason: str) -> SponsorshipLedgerEntry | None:
    entry = _entry_for_update(user_op_hash)
    if entry is None or entry.status != SponsorshipLedgerEntry.Status.RESERVED:
        return entry
    entry.status = SponsorshipLedgerEntry.Status.RELEASED
    entry.closed_at = timezone.now()
    entry.save(update_fields=["status", "closed_at"])
    audit_record(
        event_type=PaymasterAuditEvent.SPONSORSHIP_RELEASED,
        subject=entry,
        old_values={"status": SponsorshipLedgerEntry.Status.RESERVED},
        new_values={"status": entry.status, "reason": reason},
    )
    return entry


def sponsorship_paymaster_data(op: UserOperation, *, chain: Chain, chain_now: int, ttl: int | None = None) -> bytes:
    """The paymaster's signature over a reserved op, valid for `ttl` (default: the prepare TTL). The window is
    checked against the chain's clock (`chain_now`, a block timestamp), not ours; starting a minute early keeps
    the op valid in whichever block first checks it."""
    ttl = ttl or settings.TRANSACTION_PREPARE_TTL_SECONDS
    return paymaster_data.sign_paymaster_data(
        op,
        paymaster=chain.paymaster,
        chain_id=chain.chain_id,
        valid_after=chain_now - 60,
        valid_until=chain_now + ttl,
        private_key=paymaster_signer_key(),
    )

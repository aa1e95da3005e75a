"""ERC-7677 sponsorship for outside clients (viem, permissionless, ...): the same policies and ledger as our flow.

The stub says whether a policy would pay and returns estimation-ready data; the data call reserves the worst-case
cost under the policy's row lock and signs. Integrators authenticate with an API key bound to the policies it may
use; the client's `context.policyId` picks one of them. Their operations are settled from receipts periodically.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from eth_utils import to_checksum_address

from apps.chain import paymaster_data, userops
from apps.chain.clients import get_bundler_client, get_node_client, hex_quantity
from apps.chain.selectors import chain_get
from apps.chain.userops import UserOperation
from apps.paymaster.errors import ApiKeyInvalid, ApiKeyMissing, SponsorshipParamsInvalid, SponsorshipRefused
from apps.paymaster.models import PaymasterApiKey, SponsorshipLedgerEntry, SponsorshipPolicy
from apps.paymaster.services.builder import user_op_hash_hex
from apps.paymaster.services.intents import call_selector
from apps.paymaster.services.sponsorship import (
    SponsorshipDecision,
    SponsorshipRequest,
    sponsorship_evaluate,
    sponsorship_paymaster_data,
    sponsorship_release,
    sponsorship_reserve,
    sponsorship_settle,
)

if TYPE_CHECKING:
    from apps.chain.models import Chain


def _key_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def api_key_create(*, name: str, policies: list[SponsorshipPolicy]) -> tuple[PaymasterApiKey, str]:
    """A new integrator key. The plaintext is returned once; only its SHA-256 is stored."""
    plaintext = "pm_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = PaymasterApiKey.objects.create(name=name, key_hash=_key_hash(plaintext))
        key.policies.set(policies)
    return key, plaintext


def api_key_authenticate(*, plaintext: str) -> PaymasterApiKey:
    """The enabled key a request presents; ApiKeyMissing / ApiKeyInvalid otherwise."""
    if not plaintext:
        raise ApiKeyMissing()
    key = PaymasterApiKey.objects.filter(key_hash=_key_hash(plaintext), enabled=True).first()
    if key is None:
        raise ApiKeyInvalid()
    return key


def paymaster_stub_data(
    *, api_key: PaymasterApiKey, op: UserOperation, entry_point: str, chain_id: int, policy_id: object = None
) -> dict[str, Any]:
    """`pm_getPaymasterStubData`: whether a policy would pay (nothing reserved) and the paymaster fields with a
    dummy signature and fixed gas limits, for the client's estimate."""
    chain = _served_chain(chain_id=chain_id, entry_point=entry_point)
    stub_gas = paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT
    candidate = op.replace(
        paymaster=chain.paymaster,
        paymaster_verification_gas_limit=stub_gas,
        paymaster_post_op_gas_limit=paymaster_data.PAYMASTER_POST_OP_GAS_LIMIT,
    )
    decision = sponsorship_evaluate(
        request=_request(candidate, chain), policies=_policies(api_key, policy_id=policy_id)
    )
    if not decision.sponsored:
        raise _refused(decision)
    return {
        "sponsor": {"name": settings.PAYMASTER_SPONSOR_NAME},
        "paymaster": to_checksum_address(chain.paymaster),
        "paymasterData": "0x" + paymaster_data.dummy_paymaster_data().hex(),
        "paymasterVerificationGasLimit": hex(stub_gas),
        "paymasterPostOpGasLimit": hex(paymaster_data.PAYMASTER_POST_OP_GAS_LIMIT),
        "isFinal": False,
    }


def paymaster_data_reserve(
    *, api_key: PaymasterApiKey, op: UserOperation, entry_point: str, chain_id: int, policy_id: object = None
) -> dict[str, Any]:
    """`pm_getPaymasterData`: reserve the op's worst-case cost under a policy the key may use and sign it. The
    ledger entry is keyed by the signed op's hash, which is how its receipt is found later."""
    chain = _served_chain(chain_id=chain_id, entry_point=entry_point)
    if not op.paymaster_verification_gas_limit:
        op = op.replace(
            paymaster_verification_gas_limit=paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT,
            paymaster_post_op_gas_limit=paymaster_data.PAYMASTER_POST_OP_GAS_LIMIT,
        )
    op = op.replace(paymaster=chain.paymaster)
    valid_until = timezone.now() + timedelta(seconds=settings.TRANSACTION_PREPARE_TTL_SECONDS)
    chain_now = get_node_client(chain).block_timestamp()  # read before the policy row is locked
    with transaction.atomic():
        decision, entry = sponsorship_reserve(
            request=_request(op, chain),
            valid_until=valid_until,
            policies=_policies(api_key, policy_id=policy_id),
            api_key=api_key,
        )
        if entry is None:
            raise _refused(decision)
        data = sponsorship_paymaster_data(op, chain=chain, chain_now=chain_now)
        entry.chain = chain
        entry.user_op_hash = user_op_hash_hex(op.replace(paymaster_data=data), chain=chain)
        entry.save(update_fields=["chain", "user_op_hash"])
    return {"paymaster": to_checksum_address(chain.paymaster), "paymasterData": "0x" + data.hex()}


def external_sponsorships_settle() -> int:
    """Periodic: settle outside clients' sponsored operations from their receipts, release the ones that can no
    longer land (their paymaster signature expired and the bundler does not know them). Returns how many closed."""
    closed = 0
    open_entries = SponsorshipLedgerEntry.objects.filter(
        status=SponsorshipLedgerEntry.Status.RESERVED,
        transaction__isnull=True,
        chain__isnull=False,
        user_op_hash__isnull=False,
    ).select_related("chain")
    for entry in open_entries:
        op_hash, chain = entry.user_op_hash, entry.chain
        if op_hash is None or chain is None:
            continue  # not an outside client's signed op (the filter above says so; the types cannot)
        bundler = get_bundler_client(chain)
        receipt = bundler.get_user_operation_receipt(op_hash)
        if receipt is not None:
            sponsorship_settle(user_op_hash=op_hash, actual_gas_cost_wei=hex_quantity(receipt["actualGasCost"]))
            closed += 1
        elif entry.valid_until < timezone.now() and bundler.get_user_operation_by_hash(op_hash) is None:
            sponsorship_release(user_op_hash=op_hash, reason="expired")
            closed += 1
    return closed


# --- helpers --------------------------------------------------------------------------------------------


def _served_chain(*, chain_id: int, entry_point: str) -> Chain:
    """Only enabled chains with our paymaster, and only their EntryPoint, are served."""
    chain = chain_get(chain_id=chain_id)
    if chain is None or not chain.paymaster:
        raise SponsorshipParamsInvalid(f"Chain {chain_id} is not served.")
    if to_checksum_address(entry_point) != to_checksum_address(chain.entry_point):
        raise SponsorshipParamsInvalid(f"EntryPoint {entry_point} is not served on chain {chain_id}.")
    return chain


def _policies(api_key: PaymasterApiKey, *, policy_id: object) -> list[SponsorshipPolicy]:
    """The key's enabled policies in priority order, or only the one the client asked for (if the key has it).
    The system's owner-change policies never pay for outside clients, even if a key was given one."""
    policies = list(
        api_key.policies.filter(enabled=True, kind=SponsorshipPolicy.Kind.GENERAL).order_by("priority", "name")
    )
    if policy_id:
        try:
            wanted = uuid.UUID(str(policy_id))
        except ValueError as exc:
            raise SponsorshipParamsInvalid("context.policyId is not a policy id.") from exc
        policies = [p for p in policies if p.pk == wanted]
        if not policies:
            raise SponsorshipRefused("This API key may not use that policy.", details={"rule": "policy_not_allowed"})
    return policies


def _calls_of(op: UserOperation) -> list[tuple[str, int, str | None]]:
    """Targets and selectors for the allowlist, when the calldata is our account's ERC-7821 batch."""
    try:
        return [(c.target, c.value, call_selector(c)) for c in userops.decode_execute(op.call_data)]
    except (ValueError, AttributeError):
        return [(op.sender, 0, "0x" + op.call_data[:4].hex() if len(op.call_data) >= 4 else None)]


def _request(op: UserOperation, chain: Chain) -> SponsorshipRequest:
    # A stub request may carry no gas yet; costing it at least 1 wei still refuses an exhausted budget early.
    return SponsorshipRequest(
        chain_id=chain.chain_id, sender=op.sender, max_cost_wei=max(op.max_cost(), 1), calls=_calls_of(op), user=None
    )


def _refused(decision: SponsorshipDecision) -> SponsorshipRefused:
    return SponsorshipRefused(
        f"Sponsorship refused: {decision.rule}", details={"rule": decision.rule, "refusals": decision.refusals}
    )

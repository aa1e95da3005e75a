"""Building a UserOperation for an account: nonce, factory data, ERC-7821 batch, fees and bundler gas estimates.

Network calls only, no database writes: the prepare service runs this before it opens its transaction, so that
no row lock (a sponsorship budget) is held across a round trip to the node or the bundler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from apps.chain import paymaster_data, userops
from apps.chain.clients import BundlerClient, NodeClient
from apps.chain.errors import RejectedByAccount
from apps.chain.userops import Call, UserOperation
from apps.paymaster.errors import InsufficientGasFunds

if TYPE_CHECKING:
    from apps.chain.models import Account, Chain
    from apps.identity.models import Passkey


def _with_margin(value: int, percent: int) -> int:
    return value + value * percent // 100


def owner_signer_bytes(*, chain: Chain, passkey: Passkey) -> bytes:
    """The ERC-7913 signer a passkey is on the account: verifier address ‖ x ‖ y."""
    return userops.passkey_signer(chain.webauthn_verifier, *passkey.public_key_xy)


def user_op_hash_hex(op: UserOperation, *, chain: Chain) -> str:
    """The userOpHash as stored and shown: what the passkey signs and what the bundler and the ledger key on."""
    return "0x" + userops.user_op_hash(op, entry_point=chain.entry_point, chain_id=chain.chain_id).hex()


def build_user_operation(
    *,
    chain: Chain,
    account: Account,
    calls: list[Call],
    signer: bytes,
    sponsored_shape: bool,
    node: NodeClient,
    bundler: BundlerClient,
    min_nonce: int = 0,
    signature_proof_depth: int = 0,
) -> UserOperation:
    """An unsigned operation with estimated gas. `sponsored_shape` adds the paymaster with a stub signature, so
    the estimate covers the paymaster's validation; the real paymaster signature is added after the decision.
    `signature_proof_depth` > 0: the op will carry a multi-operation signature with a proof that deep (its bytes
    cost pre-verification gas, so the dummy has them too)."""
    deployed = account.deployed or node.is_deployed(account.address)
    op = UserOperation(
        sender=account.address,
        # Operations already signed but not yet on-chain hold the nonces below `min_nonce`.
        nonce=max(node.entry_point_nonce(entry_point=chain.entry_point, sender=account.address), min_nonce),
        call_data=userops.encode_execute(calls),
        signature=userops.encode_multi_op_signature(
            proof=[bytes(32)] * signature_proof_depth,
            account_signature=userops.dummy_account_signature(signer=signer, origin=settings.WEBAUTHN_ORIGINS[0]),
        ),
    )
    if not deployed:
        op = op.replace(
            factory=chain.account_factory,
            factory_data=userops.encode_create_account(*account.initial_owner.public_key_xy, int(account.salt)),
        )
    max_fee, max_priority = bundler.gas_price()
    # Fees move between prepare and inclusion; the margin keeps a signed op includable for its validity window.
    # Only the gas actually used is charged, at the block's price.
    margin = settings.USER_OP_FEE_MARGIN_PERCENT
    op = op.replace(max_fee_per_gas=_with_margin(max_fee, margin), max_priority_fee_per_gas=max_priority)
    if sponsored_shape:
        op = op.replace(paymaster=chain.paymaster, paymaster_data=paymaster_data.dummy_paymaster_data())
    try:
        estimate = bundler.estimate_user_operation_gas(op.to_rpc(), entry_point=chain.entry_point)
    except RejectedByAccount as exc:
        if exc.aa_code == "AA21":  # the account cannot prefund its gas: say so, not "rejected"
            raise InsufficientGasFunds(details={"asset": "native", "reason": "cannot prefund gas"}) from exc
        raise
    gas_margin = settings.USER_OP_GAS_MARGIN_PERCENT
    op = op.replace(
        pre_verification_gas=_with_margin(estimate["preVerificationGas"], gas_margin),
        # A dummy signature cannot hold the real challenge, so the estimate stops before the P-256 check; the
        # margin (measured, docs/contracts.md) covers it. Unused verification gas is not charged.
        verification_gas_limit=_with_margin(estimate["verificationGasLimit"], gas_margin)
        + userops.verification_gas_margin(p256_precompile=chain.p256_precompile),
        call_gas_limit=_with_margin(estimate["callGasLimit"], gas_margin),
    )
    if sponsored_shape:
        op = op.replace(
            paymaster_verification_gas_limit=_with_margin(estimate.get("paymasterVerificationGasLimit", 0), gas_margin),
            paymaster_post_op_gas_limit=_with_margin(estimate.get("paymasterPostOpGasLimit", 0), gas_margin),
        )
    return op

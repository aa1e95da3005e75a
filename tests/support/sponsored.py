"""Sponsored operations for the chain tests: LykosPaymaster-signed ops, and viem's ERC-7677 client as a subprocess."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from apps.chain import paymaster_data, userops
from apps.chain.dev import DevChain
from apps.chain.userops import Call, UserOperation
from tests.support.accounts import ORIGIN, Wallet, latest_timestamp, signer_of


def paymaster_key(chain: DevChain) -> bytes:
    """Raw bytes of the dev chain paymaster's starting signer key (as the Django side would pass its own)."""
    assert chain.paymaster_signer is not None, "this chain was started with an external paymaster signer"
    return bytes.fromhex(chain.paymaster_signer.private_key.removeprefix("0x"))


def build_sponsored(
    wallet: Wallet,
    calls: Sequence[Call],
    *,
    paymaster_key: bytes,
    valid_after: int = 0,
    valid_until: int | None = None,
) -> UserOperation:
    """An op paid by the chain's LykosPaymaster: estimate with dummy paymasterData, then sign paymasterData over
    the estimated op. The account signature is still the dummy one: call `wallet.sign(op)` last.

    `valid_until` defaults to ten minutes after the chain's latest block (chain time, which tests move forward).
    """
    chain = wallet.chain
    op = wallet.with_gas(paymaster_data.with_paymaster(wallet.draft(calls), paymaster=chain.paymaster))
    if valid_until is None:
        valid_until = latest_timestamp(wallet.w3) + 600
    return op.replace(
        paymaster_data=paymaster_data.sign_paymaster_data(
            op,
            paymaster=chain.paymaster,
            chain_id=chain.chain_id,
            valid_after=valid_after,
            valid_until=valid_until,
            private_key=paymaster_key,
        )
    )


def run_erc7677_client(
    wallet: Wallet, *, paymaster_url: str, calls: Sequence[Call], policy_id: str, api_key: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run contracts/erc7677_client.mjs (viem's ERC-7677 paymaster client) for `wallet`'s next operation; the
    `api_key` goes in the X-Api-Key header, the only place /rpc/paymaster accepts one."""
    chain = wallet.chain
    script_input = {
        "rpcUrl": chain.rpc_url,
        "bundlerUrl": chain.bundler_url,
        "paymasterUrl": paymaster_url,
        "paymasterHeaders": {"X-Api-Key": api_key} if api_key else {},
        "chainId": chain.chain_id,
        "entryPoint": chain.entry_point,
        "account": wallet.address,
        "factory": chain.factory,
        "factoryData": "0x" + userops.encode_create_account(wallet.owner.qx, wallet.owner.qy, wallet.salt).hex(),
        "calls": [{"to": c.target, "value": hex(c.value), "data": "0x" + c.data.hex()} for c in calls],
        "dummySignature": "0x"
        + userops.dummy_account_signature(signer=signer_of(chain, wallet.owner), origin=ORIGIN).hex(),
        "paymasterContext": {"policyId": policy_id},
        "verificationGasMargin": userops.verification_gas_margin(p256_precompile=chain.p256_precompile),
    }
    return subprocess.run(
        ["node", "contracts/erc7677_client.mjs", json.dumps(script_input)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=90,
    )

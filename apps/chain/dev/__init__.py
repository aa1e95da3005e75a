"""A local ERC-4337 chain for development and tests: anvil + EntryPoint v0.8 + our contracts + the alto bundler.

Kept out of the product code path: only the `devchain` command, the test fixtures and the benchmarks start one.
Plain Python (no Django) apart from `registry`, which records a running chain in the chain registry.
"""

from apps.chain.dev.deploy import (
    DEFAULT_PAYMASTER_DEPOSIT_WEI,
    DEV_PAYMASTER_SIGNER_KEY,
    P256_PRECOMPILE,
    DevChainError,
    DevKey,
    has_p256_precompile,
    paymaster_deposit,
    paymaster_signer_address,
    set_paymaster_signer,
)
from apps.chain.dev.supervisor import DevChain, start_devchain

__all__ = [
    "DEFAULT_PAYMASTER_DEPOSIT_WEI",
    "DEV_PAYMASTER_SIGNER_KEY",
    "P256_PRECOMPILE",
    "DevChain",
    "DevChainError",
    "DevKey",
    "has_p256_precompile",
    "paymaster_deposit",
    "paymaster_signer_address",
    "set_paymaster_signer",
    "start_devchain",
]

"""The paymaster's signing key: generated once, held by the secrets provider wrapped under its master key.

Vault has no secp256k1 key type, so the key cannot stay inside Transit; it is stored in KV as an envelope-
encrypted blob (lykos.crypto) and decrypted in-process only when signing. Its address is public and is what the
on-chain paymaster is told to trust (`setSigner`).
"""

from __future__ import annotations

import secrets
import threading
import time

from eth_account import Account as EthAccount

from lykos.crypto import decrypt_bytes, encrypt_bytes
from lykos.secrets import get_secrets_provider

SECRET_NAME = "paymaster-signer"
_AAD = b"lykos|paymaster-signer"
_CACHE_SECONDS = 300
_lock = threading.Lock()
_cached: tuple[float, bytes] | None = None


def paymaster_signer_key() -> bytes:
    """The raw private key, created on first use. Kept in memory for a few minutes to spare Vault a call per op."""
    global _cached
    with _lock:
        if _cached and time.monotonic() - _cached[0] < _CACHE_SECONDS:
            return _cached[1]
        provider = get_secrets_provider()
        stored = provider.get_or_create_secret(
            SECRET_NAME, lambda: {"wrapped_key": encrypt_bytes(secrets.token_bytes(32), aad=_AAD, provider=provider)}
        )
        key = decrypt_bytes(stored["wrapped_key"], aad=_AAD, provider=provider)
        _cached = (time.monotonic(), key)
        return key


def paymaster_signer_address() -> str:
    address: str = EthAccount.from_key(paymaster_signer_key()).address
    return address


def paymaster_signer_forget() -> None:
    """Drop the in-memory copy (after a rotation, or in tests that switch secrets servers)."""
    global _cached
    with _lock:
        _cached = None

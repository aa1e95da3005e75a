"""The OpenID Connect RS256 signing keys, kept in the secrets provider and rotated without breaking tokens.

The keyring is `{"current": <name>, <name>: <PEM>, ...}` in the secrets provider. The toolkit reads its keys
from `oauth2_settings`, so `oidc_keys_apply()` copies the current key and the still-published older ones there
before any view that signs or publishes keys runs. Rotation adds a key and makes it current; older keys stay
in the JWKS (`OIDC_RSA_PRIVATE_KEYS_INACTIVE`) until pruned, so id_tokens already issued keep verifying.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oauth2_provider.settings import oauth2_settings

from lykos.secrets import get_secrets_provider

KEYRING_SECRET = "oidc-rsa-keys"
_TTL_SECONDS = 60
_lock = threading.Lock()
_cache: tuple[float, dict[str, str]] | None = None


def _new_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _new_name() -> str:
    return datetime.now(UTC).strftime("%Y%m%d") + "-" + secrets.token_hex(4)


def oidc_keyring(*, force: bool = False) -> dict[str, str]:
    global _cache
    with _lock:
        if not force and _cache and time.monotonic() - _cache[0] < _TTL_SECONDS:
            return _cache[1]
        name = _new_name()
        ring = get_secrets_provider().get_or_create_secret(KEYRING_SECRET, lambda: {"current": name, name: _new_pem()})
        _cache = (time.monotonic(), ring)
        return ring


def oidc_keys_apply(*, force: bool = False) -> None:
    ring = oidc_keyring(force=force)
    current = ring["current"]
    oauth2_settings.OIDC_RSA_PRIVATE_KEY = ring[current]
    oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE = [
        pem for name, pem in sorted(ring.items()) if name not in {"current", current}
    ]


def oidc_key_rotate(*, keep: int = 3) -> str:
    """Make a new key current; keep the `keep` newest keys published. Returns the new key's name."""
    ring = dict(oidc_keyring(force=True))
    name = _new_name()
    ring[name] = _new_pem()
    ring["current"] = name
    names = sorted(key for key in ring if key != "current")
    for old in names[:-keep]:
        if old != name:
            del ring[old]
    get_secrets_provider().write_secret(KEYRING_SECRET, ring)
    oidc_keys_apply(force=True)
    return name

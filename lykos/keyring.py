"""Rotating signing keyrings kept in the secrets provider: `{"current": <kid>, <kid>: <PEM>, ...}`.

Rotation adds a key and makes it current; older keys stay (up to `keep`) so tokens they signed keep verifying.
The ring is cached in-process briefly and re-read on demand (e.g. when a token names a kid we have not seen).
Used for the API's ES256 access tokens and the OIDC provider's RS256 id_tokens.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from lykos.secrets import get_secrets_provider

#: The key kinds the rings hold: ES256 (API access tokens) and RS256 (OIDC id_tokens).
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class Keyring:
    def __init__(self, *, secret_name: str, new_private_key: Callable[[], SigningKey], ttl_seconds: float = 60) -> None:
        self.secret_name = secret_name
        self._new_private_key = new_private_key
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, str]] | None = None

    @staticmethod
    def _new_kid() -> str:
        return datetime.now(UTC).strftime("%Y%m%d") + "-" + secrets.token_hex(4)

    def _new_pem(self) -> str:
        return (
            self._new_private_key()
            .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            .decode()
        )

    def load(self, *, force: bool = False) -> dict[str, str]:
        """The ring, created with one key on first use (racing processes agree on one through the provider)."""
        with self._lock:
            if not force and self._cache and time.monotonic() - self._cache[0] < self._ttl:
                return self._cache[1]
            kid = self._new_kid()
            ring = get_secrets_provider().get_or_create_secret(
                self.secret_name, lambda: {"current": kid, kid: self._new_pem()}
            )
            self._cache = (time.monotonic(), ring)
            return ring

    def rotate(self, *, keep: int = 3) -> str:
        """Make a new key current; keep the `keep` newest keys. Returns the new key's id."""
        ring = dict(self.load(force=True))
        kid = self._new_kid()
        ring[kid] = self._new_pem()
        ring["current"] = kid
        kids = sorted(k for k in ring if k != "current")
        for old in kids[:-keep]:
            if old != kid:
                del ring[old]
        get_secrets_provider().write_secret(self.secret_name, ring)
        self.load(force=True)
        return kid

"""Rotating signing keyrings kept in the secrets provider: `{"current": <kid>, <kid>: <PEM>, ...}`.

Rotation adds a key and makes it current; older keys stay (up to `keep`) so tokens they signed keep verifying.
The ring is cached in-process briefly. A token naming a kid the cache lacks is the one place where a request
could make us read the secrets provider, and any client can send one: so `key_for` re-reads the ring only when
a rotation was announced that this process has not seen (the rotating process publishes the new kid in the
shared cache), or, when nothing is announced (a flushed cache), at most once per `min_refresh_seconds`. Unknown
kids are remembered for a while (a negative cache), so repeating one costs nothing at all.
Used for the API's ES256 access tokens and the OIDC provider's RS256 id_tokens.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache

from lykos.secrets import get_secrets_provider

logger = logging.getLogger(__name__)

#: The key kinds the rings hold: ES256 (API access tokens) and RS256 (OIDC id_tokens).
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CURRENT = "current"
_KID_TIME = re.compile(r"^(\d{8,20})-")
_NEGATIVE_CACHE_SIZE = 4096
_KID_MAX_LENGTH = 64


def kid_created_order(kid: str) -> tuple[str, str]:
    """Sort key: when a kid was made. Kids are `<UTC time>-<random>`; older rings used only the day
    (`YYYYMMDD-…`), which sorts as the start of that day. Text order alone put a same-day newer key first
    (the random part decided), so pruning could delete the newest key but one."""
    match = _KID_TIME.match(kid)
    stamp = match.group(1) if match else ""
    return stamp.ljust(20, "0"), kid


class Keyring:
    def __init__(
        self,
        *,
        secret_name: str,
        new_private_key: Callable[[], SigningKey],
        ttl_seconds: float = 60,
        min_refresh_seconds: float = 30,
        negative_ttl_seconds: float = 300,
    ) -> None:
        self.secret_name = secret_name
        self._new_private_key = new_private_key
        self._ttl = ttl_seconds
        self._min_refresh = min_refresh_seconds
        self._negative_ttl = negative_ttl_seconds
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, str]] | None = None
        self._unknown: OrderedDict[str, float] = OrderedDict()

    @property
    def announcement_key(self) -> str:
        """Shared-cache key holding the kid the last rotation made current."""
        return f"keyring-current:{self.secret_name}"

    @staticmethod
    def _new_kid() -> str:
        return datetime.now(UTC).strftime("%Y%m%d%H%M%S%f") + "-" + secrets.token_hex(4)

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
            return self._read()

    def _read(self) -> dict[str, str]:
        """Read the ring from the provider (the caller holds the lock)."""
        kid = self._new_kid()
        ring = get_secrets_provider().get_or_create_secret(
            self.secret_name, lambda: {CURRENT: kid, kid: self._new_pem()}
        )
        self._cache = (time.monotonic(), ring)
        self._unknown.clear()
        try:  # after a flush of the shared cache, the first reader re-announces what it found current
            cache.add(self.announcement_key, ring[CURRENT], timeout=None)
        except Exception:
            logger.warning("keyring announcement unwritable", extra={"keyring": self.secret_name})
        return ring

    def key_for(self, kid: str) -> str | None:
        """The PEM of `kid`, or None when no key of the ring has that id (see the module's docstring)."""
        ring = self.load()
        if kid in ring and kid != CURRENT:
            return ring[kid]
        if len(kid) > _KID_MAX_LENGTH:  # never one of ours; not worth remembering either
            return None
        with self._lock:
            now = time.monotonic()
            seen = self._unknown.get(kid)
            if seen is not None and now - seen < self._negative_ttl:
                return None
            if self._cache is not None and self._should_reread(self._cache, now):
                ring = self._read()
                if kid in ring and kid != CURRENT:
                    return ring[kid]
            self._unknown[kid] = now
            self._unknown.move_to_end(kid)
            while len(self._unknown) > _NEGATIVE_CACHE_SIZE:
                self._unknown.popitem(last=False)
            return None

    def _should_reread(self, cached: tuple[float, dict[str, str]], now: float) -> bool:
        loaded_at, ring = cached
        try:
            announced = cache.get(self.announcement_key)
        except Exception:  # the shared cache is down: fall back to the time bound alone
            logger.warning("keyring announcement unreadable", extra={"keyring": self.secret_name})
            announced = None
        if announced is not None:
            return announced not in ring
        return now - loaded_at >= self._min_refresh

    def rotate(self, *, keep: int = 3) -> str:
        """Make a new key current; keep the `keep` newest keys. Returns the new key's id."""
        ring = dict(self.load(force=True))
        kid = self._new_kid()
        ring[kid] = self._new_pem()
        ring[CURRENT] = kid
        kids = sorted((k for k in ring if k != CURRENT), key=kid_created_order)
        for old in kids[:-keep]:
            if old != kid:
                del ring[old]
        get_secrets_provider().write_secret(self.secret_name, ring)
        try:
            cache.set(self.announcement_key, kid, timeout=None)
        except Exception:  # other processes then find the key within min_refresh_seconds
            logger.warning("keyring rotation not announced", extra={"keyring": self.secret_name})
        self.load(force=True)
        return kid

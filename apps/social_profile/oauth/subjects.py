"""Pairwise subject identifiers (OpenID Connect Core §8.1): each platform sees its own `sub` for a user.

A global user id in `sub` lets two platforms join their user tables; the consent page promises "an identifier
unique to this platform's view of you". The identifier is an HMAC of the user's id under a salt that only the
secrets provider holds, keyed by the platform (its client id is the sector), so it is:
- stable: the same user and platform always give the same value, across sessions, tokens and endpoints;
- unlinkable: without the salt nobody can compute another platform's value or recover the user id;
- stateless: no table to look it up in, no write on a read path.
The salt is created on first use and must never change: a new salt would give every user a new `sub` on every
platform, which to a platform means new accounts. It is cached in-process for that reason too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import uuid
from typing import Any

from lykos.secrets import get_secrets_provider

SALT_SECRET = "oidc-pairwise-subject-salt"
_lock = threading.Lock()
_salt: bytes | None = None


def _subject_salt() -> bytes:
    global _salt
    with _lock:
        if _salt is None:
            state = get_secrets_provider().get_or_create_secret(
                SALT_SECRET, lambda: {"salt": base64.b64encode(secrets.token_bytes(32)).decode()}
            )
            _salt = base64.b64decode(state["salt"])
        return _salt


def pairwise_subject(*, user_id: uuid.UUID | str, application: Any) -> str:
    """The `sub` that `application` sees for the user: 43 URL-safe characters (a 256-bit HMAC, no padding)."""
    sector = application.client_id
    digest = hmac.new(_subject_salt(), f"{sector}\x00{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

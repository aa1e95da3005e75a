"""Access tokens (ES256 JWTs under a rotating keyring) and opaque refresh tokens.

The keyring lives in the secrets provider: `{"current": kid, "<kid>": "<PEM>", ...}`. Rotation adds a key
and makes it current; older keys keep verifying until pruned, so rotating never logs anyone out. The
keyring is cached in-process briefly and re-read when a token names a kid another process announced.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from apps.identity.errors import TokenExpired, TokenInvalid
from lykos.errors import DependencyUnavailable
from lykos.keyring import Keyring

logger = logging.getLogger(__name__)

KEYRING_SECRET = "jwt-signing-keys"
ALGORITHM = "ES256"
_keyring = Keyring(secret_name=KEYRING_SECRET, new_private_key=lambda: ec.generate_private_key(ec.SECP256R1()))


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    device_id: uuid.UUID
    expires_at: datetime
    jti: str


def _load_keyring(*, force: bool = False) -> dict[str, str]:
    return _keyring.load(force=force)


def signing_key_rotate(*, keep: int = 3) -> str:
    """Make a new signing key current; keep the `keep` newest keys for verifying tokens already issued."""
    return _keyring.rotate(keep=keep)


def public_jwks() -> dict[str, list[dict[str, str]]]:
    """The verification keys as a JWKS, for services that check our access tokens themselves."""
    ring = _load_keyring()
    keys = []
    for kid, pem in ring.items():
        if kid == "current":
            continue
        private = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):  # the ring holds only the P-256 keys it made
            raise ImproperlyConfigured(f"Signing key {kid} in {KEYRING_SECRET} is not an EC key.")
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
        keys.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
    return {"keys": keys}


def access_token_issue(
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    device_id: uuid.UUID,
    amr: list[str] | None = None,
    auth_time: datetime | None = None,
) -> tuple[str, datetime]:
    """`amr` and `auth_time` (RFC 8176, OIDC Core) say how and when the user last proved presence on the
    session, so a resource server can ask for a fresher authentication without calling us."""
    ring = _load_keyring()
    kid = ring["current"]
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=settings.ACCESS_TOKEN_TTL_SECONDS)
    claims: dict[str, Any] = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user_id),
        "sid": str(session_id),
        "did": str(device_id),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": secrets.token_hex(12),
        "typ": "access",
    }
    if amr is not None:
        claims["amr"] = list(amr)
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    token = jwt.encode(claims, ring[kid], algorithm=ALGORITHM, headers={"kid": kid})
    return token, expires_at


def access_token_decode(token: str) -> AccessClaims:
    """Verify signature, algorithm, issuer, audience and expiry; nothing about revocation (see session check)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenInvalid("Malformed token.") from exc
    # Only our algorithm: this is what makes `alg: none` and HS256-with-the-public-key tricks fail.
    if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
        raise TokenInvalid("Unexpected token algorithm or key id.")
    # A kid we lack is re-read from the provider only when a rotation was announced (lykos.keyring): a token
    # with a made-up kid must not cost a secrets-provider round trip.
    key = _keyring.key_for(header["kid"])
    if key is None:
        raise TokenInvalid("Unknown signing key.")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            options={"require": ["exp", "iat", "sub", "sid", "did", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired() from exc
    except jwt.PyJWTError as exc:
        raise TokenInvalid() from exc
    if claims.get("typ") != "access":
        raise TokenInvalid("Not an access token.")
    try:
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            device_id=uuid.UUID(claims["did"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            jti=claims["jti"],
        )
    except (ValueError, TypeError) as exc:
        raise TokenInvalid("Malformed token claims.") from exc


# --- refresh tokens -----------------------------------------------------------------------------------

REFRESH_PREFIX = "lkr_"


def refresh_token_new() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- revocation cache ---------------------------------------------------------------------------------


def _revoked_key(session_id: uuid.UUID | str) -> str:
    return f"revoked-session:{session_id}"


def session_revocation_publish(session_id: uuid.UUID | str) -> None:
    """Every server sees the revocation on the next request, not at access-token expiry."""
    try:
        cache.set(_revoked_key(session_id), 1, timeout=settings.ACCESS_TOKEN_TTL_SECONDS + 60)
    except Exception as exc:  # a revocation we cannot publish must not pass silently
        raise DependencyUnavailable("Could not publish the revocation.", details={"dependency": "redis"}) from exc


PUBLISH_ATTEMPTS = 3
PUBLISH_BACKOFF_SECONDS = 0.1
PUBLISH_RETRY_COUNTDOWN_SECONDS = 2


def session_revocations_publish(*, session_ids: list[str]) -> None:
    """Publish committed revocations, retrying: a few quick attempts here, then a Celery task that retries with
    backoff. Until it lands, servers still refuse the tokens, from the session row they read on every request."""
    pending = list(session_ids)
    for attempt in range(PUBLISH_ATTEMPTS):
        try:
            while pending:
                session_revocation_publish(pending[0])
                pending.pop(0)
            return
        except DependencyUnavailable:
            if attempt + 1 < PUBLISH_ATTEMPTS:
                time.sleep(PUBLISH_BACKOFF_SECONDS * 3**attempt)
    logger.warning("revocations not published; retrying in the background", extra={"sessions": len(pending)})
    from apps.identity.tasks import publish_session_revocations_task

    try:
        publish_session_revocations_task.apply_async(args=(pending,), countdown=PUBLISH_RETRY_COUNTDOWN_SECONDS)
    except Exception:  # the broker is down too: the database still refuses the tokens
        logger.exception("revocations not published and not queued", extra={"sessions": len(pending)})


def session_revocation_cached(session_id: uuid.UUID | str) -> bool:
    try:
        return bool(cache.get(_revoked_key(session_id)))
    except Exception as exc:
        raise DependencyUnavailable("Cannot check token revocation.", details={"dependency": "redis"}) from exc

"""WebAuthn ceremonies: single-use challenges in the cache and py_webauthn verification with precise errors.

A challenge is bound to its ceremony (register / login / add_device / sign) and to whoever it was issued
for (the pending user id, the username's user, or the session), kept with a short TTL, and consumed by an
atomic delete: of two concurrent verifications with the same challenge, exactly one proceeds.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, decode_credential_public_key
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.decode_credential_public_key import DecodedEC2PublicKey
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from apps.identity.errors import (
    CeremonyError,
    ChallengeInvalid,
    ChallengeMismatch,
    MalformedCredential,
    OriginMismatch,
    RpIdMismatch,
    SignatureInvalid,
    UnsupportedAlgorithm,
    UserPresenceRequired,
    UserVerificationRequired,
    WrongCeremony,
)
from lykos.errors import DependencyUnavailable

# Only P-256: the same key owns the user's smart account on-chain, which verifies P-256 (WebAuthn) signatures.
SUPPORTED_ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256]

# py_webauthn says what failed in its message; these turn that into a stable refusal.
_FAILURES: list[tuple[str, type[CeremonyError], str | None]] = [
    ("challenge was not expected", ChallengeMismatch, None),
    ("client data origin", OriginMismatch, None),
    ("RP ID hash", RpIdMismatch, None),
    ("user was not verified", UserVerificationRequired, None),
    ("not present", UserPresenceRequired, None),
    ("Unsupported credential public key alg", UnsupportedAlgorithm, None),
    ("client data type", WrongCeremony, None),
    ("Could not verify authentication signature", SignatureInvalid, None),
    ("id and raw_id", MalformedCredential, "The credential id fields disagree."),
]


def _ceremony_error(exc: Exception) -> CeremonyError:
    message = str(exc)
    for needle, error, text in _FAILURES:
        if needle.lower() in message.lower():
            return error(text)
    return MalformedCredential()


@dataclass(frozen=True)
class PendingCeremony:
    ceremony: str
    challenge: bytes
    bound_to: dict[str, str]


def _key(ceremony_id: str) -> str:
    return f"webauthn-ceremony:{ceremony_id}"


def ceremony_start(*, ceremony: str, challenge: bytes, bound_to: dict[str, str]) -> str:
    ceremony_id = secrets.token_urlsafe(24)
    record = {"ceremony": ceremony, "challenge": bytes_to_base64url(challenge), "bound_to": bound_to}
    try:
        cache.set(_key(ceremony_id), json.dumps(record), timeout=settings.WEBAUTHN_CHALLENGE_TTL_SECONDS)
    except Exception as exc:
        raise DependencyUnavailable("Cannot store the challenge.", details={"dependency": "redis"}) from exc
    return ceremony_id


def ceremony_consume(*, ceremony_id: str, ceremony: str) -> PendingCeremony:
    """Take the challenge out of the store. Unknown, expired, reused and wrong-ceremony ids all fail here."""
    if not isinstance(ceremony_id, str) or not ceremony_id or len(ceremony_id) > 64:
        raise ChallengeInvalid()
    try:
        raw = cache.get(_key(ceremony_id))
        # delete() reports whether this call removed the key: the single-use guarantee under concurrency.
        if raw is None or not cache.delete(_key(ceremony_id)):
            raise ChallengeInvalid()
    except ChallengeInvalid:
        raise
    except Exception as exc:
        raise DependencyUnavailable("Cannot read the challenge.", details={"dependency": "redis"}) from exc
    record = json.loads(raw)
    if record["ceremony"] != ceremony:
        raise ChallengeInvalid()
    return PendingCeremony(
        ceremony=record["ceremony"], challenge=base64url_to_bytes(record["challenge"]), bound_to=record["bound_to"]
    )


def registration_options(
    *, user_handle: bytes, user_name: str, display_name: str, exclude: list[bytes], challenge: bytes | None = None
) -> dict[str, Any]:
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name or user_name,
        challenge=challenge,
        timeout=settings.WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in exclude],
        supported_pub_key_algs=SUPPORTED_ALGORITHMS,
    )
    options_json: dict[str, Any] = json.loads(options_to_json(options))
    return options_json


def authentication_options(*, allow: list[bytes], challenge: bytes | None = None) -> dict[str, Any]:
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        challenge=challenge,
        timeout=settings.WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000,
        allow_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in allow],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    options_json: dict[str, Any] = json.loads(options_to_json(options))
    return options_json


@dataclass(frozen=True)
class VerifiedPasskey:
    credential_id: bytes
    public_key_cose: bytes
    public_key_x: bytes
    public_key_y: bytes
    sign_count: int
    aaguid: str
    backup_eligible: bool
    backed_up: bool
    transports: list[str]


def registration_verify(*, credential: dict[str, Any], challenge: bytes) -> VerifiedPasskey:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGINS,
            require_user_verification=True,
            supported_pub_key_algs=SUPPORTED_ALGORITHMS,
        )
        key = decode_credential_public_key(verified.credential_public_key)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise _ceremony_error(exc) from exc
    if not isinstance(key, DecodedEC2PublicKey) or key.alg != COSEAlgorithmIdentifier.ECDSA_SHA_256 or len(key.x) != 32:
        raise UnsupportedAlgorithm()
    transports = credential.get("response", {}).get("transports") or []
    return VerifiedPasskey(
        credential_id=verified.credential_id,
        public_key_cose=verified.credential_public_key,
        public_key_x=key.x,
        public_key_y=key.y,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        transports=[t for t in transports if isinstance(t, str)][:8],
    )


def authentication_verify(*, credential: dict[str, Any], challenge: bytes, public_key_cose: bytes) -> int:
    """Verify an assertion and return the authenticator's new sign count.

    The counter check is ours (see services.login): py_webauthn would refuse a regression outright,
    but a synced passkey may legitimately report one, and a non-synced one must be flagged, not just refused.
    """
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGINS,
            credential_public_key=public_key_cose,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise _ceremony_error(exc) from exc
    return verified.new_sign_count


def credential_id_of(credential: Any) -> bytes:
    """The raw credential id a response names, or a `malformed_credential` error."""
    try:
        raw = credential["rawId"]
        if credential.get("id") != raw:
            raise ValueError("id and rawId differ")
        return base64url_to_bytes(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedCredential() from exc


def user_handle_of(credential: dict[str, Any]) -> bytes | None:
    response = credential.get("response")
    handle = response.get("userHandle") if isinstance(response, dict) else None
    if not handle:
        return None
    try:
        return base64url_to_bytes(handle)
    except (TypeError, ValueError) as exc:
        raise MalformedCredential("The user handle is not base64url.") from exc

"""A software WebAuthn authenticator (P-256, attestation "none") for driving real ceremonies in tests.

It builds exactly what a browser hands to `navigator.credentials.create/get` callers, as the JSON that
py_webauthn parses (base64url fields), so the server-side code under test is the production code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey  # or Ed25519 / RSA for refusal tests
    rp_id: str
    user_handle: bytes
    sign_count: int = 0
    backup_eligible: bool = False
    backed_up: bool = False

    @property
    def public_xy(self) -> tuple[int, int]:
        numbers = self.private_key.public_key().public_numbers()
        return numbers.x, numbers.y

    def cose_key(self) -> bytes:
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            raw = self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: raw})
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            numbers = self.private_key.public_key().public_numbers()
            return cbor2.dumps({1: 3, 3: -257, -1: numbers.n.to_bytes(256, "big"), -2: numbers.e.to_bytes(3, "big")})
        x, y = self.public_xy
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x.to_bytes(32, "big"), -3: y.to_bytes(32, "big")})


@dataclass
class SoftAuthenticator:
    """One authenticator holding any number of credentials, like a phone's platform authenticator."""

    origin: str = "http://localhost:8000"
    aaguid: bytes = bytes(16)
    user_verification: bool = True
    credentials: dict[bytes, SoftCredential] = field(default_factory=dict)

    def _flags(self, cred: SoftCredential, *, attested: bool) -> int:
        flags = FLAG_UP | (FLAG_UV if self.user_verification else 0)
        flags |= FLAG_BE if cred.backup_eligible else 0
        flags |= FLAG_BS if cred.backed_up else 0
        return flags | (FLAG_AT if attested else 0)

    def _client_data(self, kind: str, challenge: bytes, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": b64url(challenge), "origin": origin or self.origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def create(
        self,
        options: dict,
        *,
        origin: str | None = None,
        backup_eligible: bool = False,
        key: ec.EllipticCurvePrivateKey | None = None,
        alg: str = "ES256",
        rp_id: str | None = None,
        credential_id: bytes | None = None,
    ) -> dict:
        """Answer `PublicKeyCredentialCreationOptions` (as JSON from the server) with a registration response.

        `alg` EdDSA or RS256 makes the key types a P-256-only server must refuse.
        """
        rp_id = rp_id or options["rp"]["id"]
        if alg == "EdDSA":
            key = ed25519.Ed25519PrivateKey.generate()
        elif alg == "RS256":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cred = SoftCredential(
            credential_id=credential_id or os.urandom(32),
            private_key=key or ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=b64url_decode(options["user"]["id"]),
            backup_eligible=backup_eligible,
            backed_up=backup_eligible,
        )
        client_data = self._client_data("webauthn.create", b64url_decode(options["challenge"]), origin)
        attested = self.aaguid + struct.pack(">H", len(cred.credential_id)) + cred.credential_id + cred.cose_key()
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(cred, attested=True)])
            + struct.pack(">I", cred.sign_count)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials[cred.credential_id] = cred
        return {
            "id": b64url(cred.credential_id),
            "rawId": b64url(cred.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict,
        *,
        credential_id: bytes | None = None,
        origin: str | None = None,
        sign_count_step: int = 1,
        rp_id: str | None = None,
    ) -> dict:
        """Answer `PublicKeyCredentialRequestOptions` with an assertion from one of our credentials."""
        allowed = [b64url_decode(c["id"]) for c in options.get("allowCredentials") or []]
        if credential_id is None:
            candidates = [cid for cid in self.credentials if not allowed or cid in allowed]
            if not candidates:
                raise LookupError("no matching credential")
            credential_id = candidates[-1]
        cred = self.credentials[credential_id]
        cred.sign_count += sign_count_step
        return self.assert_challenge(
            cred, b64url_decode(options["challenge"]), rp_id=rp_id or options.get("rpId") or cred.rp_id, origin=origin
        )

    def assert_challenge(
        self, cred: SoftCredential, challenge: bytes, *, rp_id: str | None = None, origin: str | None = None
    ) -> dict:
        client_data = self._client_data("webauthn.get", challenge, origin)
        auth_data = (
            hashlib.sha256((rp_id or cred.rp_id).encode()).digest()
            + bytes([self._flags(cred, attested=False)])
            + struct.pack(">I", cred.sign_count)
        )
        signature = cred.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(cred.credential_id),
            "rawId": b64url(cred.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(cred.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def der_to_rs(signature: bytes) -> tuple[int, int]:
    return decode_dss_signature(signature)


def high_s(signature_der: bytes) -> bytes:
    """The same signature with s replaced by n - s: valid for plain ECDSA, refused where low-s is required."""
    r, s = decode_dss_signature(signature_der)
    return encode_dss_signature(r, P256_N - s if s <= P256_N // 2 else s)

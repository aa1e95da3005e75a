"""The DRF field for a passkey's answer (a WebAuthn PublicKeyCredential as JSON), used by every API that takes one:
sign-up, login, adding a device, signing a transaction.

The field checks the shape WebAuthn Level 3 gives the JSON (`RegistrationResponseJSON`,
`AuthenticationResponseJSON`): base64url strings where bytes travel, an object where an object belongs. Without it
a credential whose `response` is `"x"` reached code that calls `.get` on it (a 500). What the bytes mean (challenge,
origin, signature) is py_webauthn's job in the services; this is only the envelope, and the OpenAPI schema states
the same shape, so a generated client cannot send what we refuse.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

BASE64URL_PATTERN = r"^[A-Za-z0-9_-]*$"
_BASE64URL = re.compile(BASE64URL_PATTERN)
# A credential id is at most 1023 bytes (WebAuthn §5.1); attestation objects and client data are bounded by the
# request body's limit, not here.
_MAX_ID_CHARS = 1364

_B64 = {"type": "string", "pattern": BASE64URL_PATTERN}
_RESPONSE_BYTES = ("clientDataJSON", "attestationObject", "authenticatorData", "signature", "publicKey")

CREDENTIAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The PublicKeyCredential as JSON (WebAuthn Level 3 toJSON()), bytes as base64url without padding.",
    "required": ["id", "rawId", "type", "response"],
    "properties": {
        "id": {**_B64, "minLength": 1, "maxLength": _MAX_ID_CHARS},
        "rawId": {**_B64, "minLength": 1, "maxLength": _MAX_ID_CHARS},
        "type": {"type": "string", "enum": ["public-key"]},
        "response": {
            "type": "object",
            "required": ["clientDataJSON"],
            "properties": {
                **{name: _B64 for name in _RESPONSE_BYTES},
                "userHandle": {**_B64, "nullable": True},
                "transports": {"type": "array", "items": {"type": "string"}},
                "publicKeyAlgorithm": {"type": "integer"},
            },
        },
        "clientExtensionResults": {"type": "object"},
        "authenticatorAttachment": {"type": "string", "nullable": True},
    },
}


def _b64url(value: object, name: str, *, nullable: bool = False, max_chars: int | None = None) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
        raise serializers.ValidationError(f"{name} must be base64url (no padding).", code="invalid")
    if max_chars is not None and not 0 < len(value) <= max_chars:
        raise serializers.ValidationError(f"{name} must have 1 to {max_chars} characters.", code="invalid")


@extend_schema_field(CREDENTIAL_SCHEMA)
class CredentialField(serializers.Field[dict[str, Any], dict[str, Any], dict[str, Any], Any]):
    """A PublicKeyCredential as JSON, exactly as the browser script posts it; returned as the same dict."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected the PublicKeyCredential JSON object.", code="invalid")
        for name in ("id", "rawId"):
            _b64url(data.get(name), name, max_chars=_MAX_ID_CHARS)
        if data.get("type") != "public-key":
            raise serializers.ValidationError('type must be "public-key".', code="invalid")
        response = data.get("response")
        if not isinstance(response, dict):
            raise serializers.ValidationError("response must be an object.", code="invalid")
        _b64url(response.get("clientDataJSON"), "response.clientDataJSON")
        for name in _RESPONSE_BYTES[1:]:
            if name in response:
                _b64url(response[name], f"response.{name}")
        if "userHandle" in response:
            _b64url(response["userHandle"], "response.userHandle", nullable=True)
        transports = response.get("transports", [])
        if not isinstance(transports, list) or not all(isinstance(t, str) for t in transports):
            raise serializers.ValidationError("response.transports must be a list of strings.", code="invalid")
        if not isinstance(data.get("clientExtensionResults", {}), dict):
            raise serializers.ValidationError("clientExtensionResults must be an object.", code="invalid")
        attachment = data.get("authenticatorAttachment")
        if attachment is not None and not isinstance(attachment, str):
            raise serializers.ValidationError("authenticatorAttachment must be a string.", code="invalid")
        return data

    def to_representation(self, value: Any) -> dict[str, Any]:
        return dict(value)


__all__ = ["BASE64URL_PATTERN", "CREDENTIAL_SCHEMA", "CredentialField"]

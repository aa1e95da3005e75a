"""Field encryption and blind indexes: how PII is kept out of plaintext at rest.

Each value gets its own AES-256-GCM data key, wrapped by the secrets provider's master key and stored beside
the ciphertext (`lk1$<wrapped key>$<base64 nonce‖ciphertext>`). The associated data is `table|column|pk`,
so a ciphertext copied into another row or column fails to decrypt instead of silently moving PII.

Lookups by value go through a blind index: HMAC-SHA256 under a versioned pepper, never the value itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as pysecrets
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from lykos.secrets import SecretsProvider, get_secrets_provider

TOKEN_PREFIX = "lk1"
# The field is generic the way Django's own fields are in django-stubs, so that `null=True` reads as `str | None`.
_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)
PEPPER_SECRET = "blind-index-pepper"


class DecryptionError(Exception):
    """A ciphertext that does not decrypt in this place: tampered, moved, or its key is gone."""


@dataclass(frozen=True)
class EncryptedToken:
    """A stored ciphertext as it sits in the database column."""

    wrapped_key: str
    sealed: bytes

    @classmethod
    def parse(cls, raw: str) -> EncryptedToken:
        try:
            prefix, wrapped_key, sealed = raw.split("$")
            if prefix != TOKEN_PREFIX:
                raise ValueError(prefix)
            return cls(wrapped_key=wrapped_key, sealed=base64.b64decode(sealed, validate=True))
        except ValueError as exc:
            raise DecryptionError("Not an encrypted value.") from exc

    def serialize(self) -> str:
        return f"{TOKEN_PREFIX}${self.wrapped_key}${base64.b64encode(self.sealed).decode()}"


def encrypt_bytes(plaintext: bytes, *, aad: bytes, provider: SecretsProvider | None = None) -> str:
    provider = provider or get_secrets_provider()
    data_key = provider.generate_data_key()
    nonce = pysecrets.token_bytes(12)
    sealed = nonce + AESGCM(data_key.plaintext).encrypt(nonce, plaintext, aad)
    return EncryptedToken(wrapped_key=data_key.wrapped, sealed=sealed).serialize()


def decrypt_bytes(token: str, *, aad: bytes, provider: SecretsProvider | None = None) -> bytes:
    provider = provider or get_secrets_provider()
    parsed = EncryptedToken.parse(token)
    data_key = provider.unwrap_data_key(parsed.wrapped_key)
    try:
        return AESGCM(data_key).decrypt(parsed.sealed[:12], parsed.sealed[12:], aad)
    except InvalidTag as exc:
        raise DecryptionError("Ciphertext does not belong here or was tampered with.") from exc


def rewrap_token(token: str, *, provider: SecretsProvider | None = None) -> str:
    """Move a stored value's data key to the newest master-key version; the ciphertext itself is unchanged."""
    provider = provider or get_secrets_provider()
    parsed = EncryptedToken.parse(token)
    return EncryptedToken(wrapped_key=provider.rewrap_data_key(parsed.wrapped_key), sealed=parsed.sealed).serialize()


# --- model field ------------------------------------------------------------------------------------


class StoredCiphertext(str):
    """A column value not yet decrypted. Reads decrypt lazily; an untouched value is written back as is."""


class _EncryptedAttribute(DeferredAttribute):
    """Decrypts on first access, once the row's primary key (part of the associated data) is known."""

    field: EncryptedTextField[Any, Any]

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, StoredCiphertext):
            plaintext = decrypt_bytes(str(value), aad=self.field.associated_data(instance)).decode()
            instance.__dict__[self.field.attname] = plaintext
            return plaintext
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField[_ST, _GT]):
    """Text encrypted at rest. Models using it need a primary key set before the first save (UUID default)."""

    descriptor_class = _EncryptedAttribute

    def associated_data(self, instance: models.Model) -> bytes:
        if instance.pk is None:
            raise ValueError(f"{type(instance).__name__} needs a primary key before an encrypted field is used.")
        return f"{self.model._meta.db_table}|{self.column}|{instance.pk}".encode()

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, StoredCiphertext):
            return value
        return StoredCiphertext(encrypt_bytes(str(value).encode(), aad=self.associated_data(model_instance)))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> StoredCiphertext | None:
        return None if value is None else StoredCiphertext(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, StoredCiphertext):
            return None if value is None else str(value)
        raise ValueError("Plaintext can only be written to an encrypted field through model.save().")

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(f"Encrypted fields cannot be searched ({lookup_name}); use a blind index.")
        return super().get_lookup(lookup_name)


def encrypted_fields() -> list[EncryptedTextField[Any, Any]]:
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


# --- blind index ------------------------------------------------------------------------------------


def _pepper_state(provider: SecretsProvider) -> dict[str, str]:
    return provider.get_or_create_secret(
        PEPPER_SECRET, lambda: {"current": "1", "v1": base64.b64encode(pysecrets.token_bytes(32)).decode()}
    )


def _digest(pepper_b64: str, purpose: str, value: str) -> str:
    key = base64.b64decode(pepper_b64)
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def blind_index(value: str, *, purpose: str, provider: SecretsProvider | None = None) -> str:
    """Index of `value` (already normalised by the caller) under the current pepper: `v<N>:<hex>`.

    `purpose` separates index spaces, so an email index never matches a phone index of the same text.
    """
    state = _pepper_state(provider or get_secrets_provider())
    version = state["current"]
    return f"v{version}:{_digest(state[f'v{version}'], purpose, value)}"


def blind_index_candidates(value: str, *, purpose: str, provider: SecretsProvider | None = None) -> list[str]:
    """Every index the value may be stored under while rows move to a new pepper version."""
    state = _pepper_state(provider or get_secrets_provider())
    versions = sorted(int(key[1:]) for key in state if key.startswith("v"))
    return [f"v{v}:{_digest(state[f'v{v}'], purpose, value)}" for v in versions]


def blind_index_rotate_pepper(*, provider: SecretsProvider | None = None) -> int:
    """Add a pepper version; new indexes use it, lookups keep matching older ones (see candidates)."""
    provider = provider or get_secrets_provider()
    state = dict(_pepper_state(provider))
    new_version = int(state["current"]) + 1
    state[f"v{new_version}"] = base64.b64encode(pysecrets.token_bytes(32)).decode()
    state["current"] = str(new_version)
    provider.write_secret(PEPPER_SECRET, state)
    return new_version

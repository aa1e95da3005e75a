"""Field encryption and blind indexes: how PII is kept out of plaintext at rest.

Each value gets its own AES-256-GCM data key, wrapped by the secrets provider's master key and stored beside
the ciphertext (`lk1$<wrapped key>$<base64 nonce‖ciphertext>`). The associated data is `table|column|pk`,
so a ciphertext copied into another row or column fails to decrypt instead of silently moving PII.

A value that belongs to one person is wrapped by that person's own key instead (`lk2$<owner>$<wrapped key>$...`,
the owner in the associated data too): erasure destroys that key in the secrets provider (crypto-shredding), so
the value is gone from every backup and restored dump as well, not only from the live rows.

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

from lykos.secrets import OwnerKeyShredded, SecretsProvider, get_secrets_provider

TOKEN_PREFIX = "lk1"
OWNER_TOKEN_PREFIX = "lk2"
# The field is generic the way Django's own fields are in django-stubs, so that `null=True` reads as `str | None`.
_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)
PEPPER_SECRET = "blind-index-pepper"


class DecryptionError(Exception):
    """A ciphertext that does not decrypt in this place: tampered, moved, or its key is gone."""


class ValueShredded(DecryptionError):
    """The value's owner was erased and their key destroyed: nobody can read it any more."""


@dataclass(frozen=True)
class EncryptedToken:
    """A stored ciphertext as it sits in the database column; `owner` is set when the owner's key wraps it."""

    wrapped_key: str
    sealed: bytes
    owner: str | None = None

    @classmethod
    def parse(cls, raw: str) -> EncryptedToken:
        try:
            parts = raw.split("$")
            if parts[0] == TOKEN_PREFIX and len(parts) == 3:
                return cls(wrapped_key=parts[1], sealed=base64.b64decode(parts[2], validate=True))
            if parts[0] == OWNER_TOKEN_PREFIX and len(parts) == 4 and parts[1]:
                return cls(wrapped_key=parts[2], sealed=base64.b64decode(parts[3], validate=True), owner=parts[1])
            raise ValueError(parts[0])
        except ValueError as exc:
            raise DecryptionError("Not an encrypted value.") from exc

    def serialize(self) -> str:
        sealed = base64.b64encode(self.sealed).decode()
        if self.owner is not None:
            return f"{OWNER_TOKEN_PREFIX}${self.owner}${self.wrapped_key}${sealed}"
        return f"{TOKEN_PREFIX}${self.wrapped_key}${sealed}"


def _bound_aad(aad: bytes, owner: str | None) -> bytes:
    # The owner named in the token is bound too: rewriting it to another person's id breaks decryption.
    return aad if owner is None else aad + b"|owner:" + owner.encode()


def encrypt_bytes(
    plaintext: bytes, *, aad: bytes, owner: str | None = None, provider: SecretsProvider | None = None
) -> str:
    """Seal `plaintext`; with `owner` (a user id), under a data key wrapped by that owner's own key.
    Raises ValueShredded for an owner already erased: nothing new is kept about them."""
    provider = provider or get_secrets_provider()
    try:
        data_key = provider.generate_owner_data_key(owner) if owner else provider.generate_data_key()
    except OwnerKeyShredded as exc:
        raise ValueShredded(f"Owner {owner} was erased.") from exc
    nonce = pysecrets.token_bytes(12)
    sealed = nonce + AESGCM(data_key.plaintext).encrypt(nonce, plaintext, _bound_aad(aad, owner or None))
    return EncryptedToken(wrapped_key=data_key.wrapped, sealed=sealed, owner=owner or None).serialize()


def decrypt_bytes(token: str, *, aad: bytes, provider: SecretsProvider | None = None) -> bytes:
    provider = provider or get_secrets_provider()
    parsed = EncryptedToken.parse(token)
    try:
        if parsed.owner is not None:
            data_key = provider.unwrap_owner_data_key(parsed.owner, parsed.wrapped_key)
        else:
            data_key = provider.unwrap_data_key(parsed.wrapped_key)
    except OwnerKeyShredded as exc:
        raise ValueShredded(f"Owner {parsed.owner} was erased; the value is unreadable.") from exc
    try:
        return AESGCM(data_key).decrypt(parsed.sealed[:12], parsed.sealed[12:], _bound_aad(aad, parsed.owner))
    except InvalidTag as exc:
        raise DecryptionError("Ciphertext does not belong here or was tampered with.") from exc


def rewrap_token(token: str, *, provider: SecretsProvider | None = None) -> str:
    """Move a stored value's data key to the newest master-key version; the ciphertext itself is unchanged.
    Values wrapped by their owner's key are not under the master key and come back as they are."""
    provider = provider or get_secrets_provider()
    parsed = EncryptedToken.parse(token)
    if parsed.owner is not None:
        return token
    return EncryptedToken(wrapped_key=provider.rewrap_data_key(parsed.wrapped_key), sealed=parsed.sealed).serialize()


def owner_key_shred(*, owner: str, provider: SecretsProvider | None = None) -> None:
    """Destroy the owner's key: every value sealed for them, wherever a copy of it lives, becomes unreadable."""
    (provider or get_secrets_provider()).shred_owner_key(str(owner))


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
    """Text encrypted at rest. Models using it need a primary key set before the first save (UUID default).

    `owner` names the foreign key to the person the value belongs to (`"self"` on the user model): the value is
    then sealed under that person's own key and erased with it (crypto-shredding).
    """

    descriptor_class = _EncryptedAttribute

    def __init__(self, *args: Any, owner: str | None = None, **kwargs: Any) -> None:
        # Not part of deconstruct(): which key wraps a value is not schema, and old values keep reading.
        self.owner = owner
        super().__init__(*args, **kwargs)

    def owner_id(self, instance: models.Model) -> str | None:
        if self.owner is None:
            return None
        if self.owner == "self":
            return str(instance.pk)
        field = instance._meta.get_field(self.owner)
        value = getattr(instance, field.attname if isinstance(field, models.Field) else self.owner)
        return None if value is None else str(value)

    def associated_data(self, instance: models.Model) -> bytes:
        if instance.pk is None:
            raise ValueError(f"{type(instance).__name__} needs a primary key before an encrypted field is used.")
        return f"{self.model._meta.db_table}|{self.column}|{instance.pk}".encode()

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, StoredCiphertext):
            return value
        return StoredCiphertext(
            encrypt_bytes(
                str(value).encode(), aad=self.associated_data(model_instance), owner=self.owner_id(model_instance)
            )
        )

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

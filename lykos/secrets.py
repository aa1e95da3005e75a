"""Where keys live: one interface, a Vault provider for real deployments and a local one for `make run`.

The application never sees a master key. It asks the provider for a fresh data key per value (envelope
encryption), keeps only the wrapped form next to the ciphertext, and asks the provider to unwrap it when
reading. Rotating the master key therefore never requires re-encrypting data, only re-wrapping data keys
(`manage.py rewrap_encrypted`).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import secrets as pysecrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from lykos.errors import DependencyUnavailable

T = TypeVar("T")
#: The local provider's file: JSON with the current master-key version, the master keys and the named secrets.
LocalState = dict[str, Any]

_WRAPPED_VERSION = re.compile(r"^(?:vault|local):v(\d+):")


class SecretsError(Exception):
    """The provider refused an operation (bad ciphertext, unknown key, permission)."""


class OwnerKeyShredded(SecretsError):
    """The owner's key was destroyed (crypto-shredding at erasure): what it wrapped is gone for good."""


_OWNER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _checked_owner(owner: str) -> str:
    if not _OWNER.match(owner):
        raise SecretsError(f"Not a valid key owner: {owner!r}.")
    return owner


class SecretsUnavailable(SecretsError, DependencyUnavailable):
    """The provider could not be reached: a request that needs it answers 503, a task retries.

    The client sees only that a dependency is down; the reason (an address, an OS error) stays in `str()`, for
    the logs.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(details={"dependency": "secrets"})
        self.args = (reason,)


@dataclass(frozen=True)
class DataKey:
    plaintext: bytes
    wrapped: str


def wrapped_key_version(wrapped: str) -> int:
    """The master-key version a wrapped data key was made with (both providers use `<kind>:v<N>:...`)."""
    match = _WRAPPED_VERSION.match(wrapped)
    if not match:
        raise SecretsError("Not a wrapped data key.")
    return int(match.group(1))


class SecretsProvider(ABC):
    """Named secrets (KV) and envelope encryption of data keys under a rotatable master key."""

    name: str

    @abstractmethod
    def read_secret(self, name: str) -> dict[str, str] | None: ...

    @abstractmethod
    def write_secret(self, name: str, data: dict[str, str]) -> None: ...

    @abstractmethod
    def create_secret_if_absent(self, name: str, data: dict[str, str]) -> dict[str, str]:
        """Store `data` unless the secret exists; return what is stored. Safe when two processes race."""

    def get_or_create_secret(self, name: str, factory: Callable[[], dict[str, str]]) -> dict[str, str]:
        existing = self.read_secret(name)
        if existing is not None:
            return existing
        return self.create_secret_if_absent(name, factory())

    @abstractmethod
    def generate_data_key(self) -> DataKey: ...

    @abstractmethod
    def unwrap_data_key(self, wrapped: str) -> bytes: ...

    @abstractmethod
    def rewrap_data_key(self, wrapped: str) -> str:
        """Re-wrap under the newest master-key version without exposing the data key to the caller."""

    @abstractmethod
    def rotate_master_key(self) -> int:
        """Add a master-key version; old versions keep decrypting. Returns the new version."""

    @abstractmethod
    def master_key_version(self) -> int: ...

    @abstractmethod
    def check(self) -> None:
        """Raise SecretsUnavailable unless the provider answers; used by /readyz."""

    # Per-owner keys (crypto-shredding). An owner (a user id) has a key of its own, held by the provider and
    # never by the application, that wraps the data keys of that owner's values. Shredding destroys it, so every
    # copy of those values (backups, restored dumps) stays unreadable, and leaves a tombstone so that the key is
    # never silently created again for the same owner.

    @abstractmethod
    def generate_owner_data_key(self, owner: str) -> DataKey:
        """A fresh data key wrapped by the owner's key (created on first use). OwnerKeyShredded once shredded."""

    @abstractmethod
    def unwrap_owner_data_key(self, owner: str, wrapped: str) -> bytes:
        """OwnerKeyShredded when the owner's key is gone."""

    @abstractmethod
    def shred_owner_key(self, owner: str) -> None:
        """Destroy the owner's key for good. Idempotent; an owner that never had a key is tombstoned too."""


class LocalSecretsProvider(SecretsProvider):
    """Keys in a git-ignored JSON file, generated on first use. For development only (production refuses it)."""

    name = "local"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # The file is small and rarely written; a lock file serialises writers across processes.
    def _locked(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path.with_suffix(".lock"), "a")  # noqa: SIM115 - closed by the caller's context
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle

    def _load(self) -> LocalState:
        if not self.path.exists():
            with self._locked():
                if not self.path.exists():
                    self._store(
                        {
                            "current": 1,
                            "master_keys": {"1": base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()},
                            "secrets": {},
                        }
                    )
        state: LocalState = json.loads(self.path.read_text())
        return state

    def _store(self, state: LocalState) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(state, handle, indent=2)
        os.replace(tmp, self.path)

    def _update(self, change: Callable[[LocalState], T]) -> T:
        self._load()
        with self._locked():
            state = json.loads(self.path.read_text())
            result = change(state)
            self._store(state)
            return result

    def read_secret(self, name: str) -> dict[str, str] | None:
        secret: dict[str, str] | None = self._load()["secrets"].get(name)
        return secret

    def write_secret(self, name: str, data: dict[str, str]) -> None:
        self._update(lambda state: state["secrets"].__setitem__(name, dict(data)))

    def create_secret_if_absent(self, name: str, data: dict[str, str]) -> dict[str, str]:
        def keep_first(state: LocalState) -> dict[str, str]:
            stored: dict[str, str] = state["secrets"].setdefault(name, dict(data))
            return stored

        return self._update(keep_first)

    def _master(self, version: int) -> AESGCM:
        key = self._load()["master_keys"].get(str(version))
        if key is None:
            raise SecretsError(f"Unknown local master key version {version}.")
        return AESGCM(base64.b64decode(key))

    def _wrap(self, data_key: bytes) -> str:
        version = self.master_key_version()
        nonce = pysecrets.token_bytes(12)
        sealed = self._master(version).encrypt(nonce, data_key, b"lykos-data-key")
        return f"local:v{version}:" + base64.b64encode(nonce + sealed).decode()

    def generate_data_key(self) -> DataKey:
        data_key = AESGCM.generate_key(bit_length=256)
        return DataKey(plaintext=data_key, wrapped=self._wrap(data_key))

    def unwrap_data_key(self, wrapped: str) -> bytes:
        version = wrapped_key_version(wrapped)
        raw = base64.b64decode(wrapped.split(":", 2)[2])
        try:
            return self._master(version).decrypt(raw[:12], raw[12:], b"lykos-data-key")
        except InvalidTag as exc:
            raise SecretsError("Wrapped data key does not decrypt.") from exc

    def rewrap_data_key(self, wrapped: str) -> str:
        return self._wrap(self.unwrap_data_key(wrapped))

    def rotate_master_key(self) -> int:
        def add_version(state: LocalState) -> int:
            version = int(state["current"]) + 1
            state["current"] = version
            state["master_keys"][str(version)] = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
            return version

        return self._update(add_version)

    def master_key_version(self) -> int:
        return int(self._load()["current"])

    def check(self) -> None:
        try:
            self._load()
        except OSError as exc:
            raise SecretsUnavailable(f"Local secrets file unreadable: {exc}") from exc

    _OWNER_AAD = b"lykos-owner-data-key"

    def _owner_key(self, owner: str, *, create: bool) -> AESGCM:
        owner = _checked_owner(owner)

        def get(state: LocalState) -> str:
            if owner in state.setdefault("shredded_owners", {}):
                raise OwnerKeyShredded(f"The key of owner {owner} was shredded.")
            keys: dict[str, str] = state.setdefault("owner_keys", {})
            if owner not in keys:
                if not create:
                    raise OwnerKeyShredded(f"Owner {owner} has no key.")
                keys[owner] = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
            return keys[owner]

        known = self._load().get("owner_keys", {}).get(owner)
        if known is not None and owner not in self._load().get("shredded_owners", {}):
            return AESGCM(base64.b64decode(known))
        return AESGCM(base64.b64decode(self._update(get)))

    def generate_owner_data_key(self, owner: str) -> DataKey:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = pysecrets.token_bytes(12)
        sealed = self._owner_key(owner, create=True).encrypt(nonce, data_key, self._OWNER_AAD)
        return DataKey(plaintext=data_key, wrapped="local:v1:" + base64.b64encode(nonce + sealed).decode())

    def unwrap_owner_data_key(self, owner: str, wrapped: str) -> bytes:
        key = self._owner_key(owner, create=False)
        raw = base64.b64decode(wrapped.split(":", 2)[2])
        try:
            return key.decrypt(raw[:12], raw[12:], self._OWNER_AAD)
        except InvalidTag as exc:
            raise SecretsError("Wrapped data key does not decrypt under its owner's key.") from exc

    def shred_owner_key(self, owner: str) -> None:
        owner = _checked_owner(owner)

        def shred(state: LocalState) -> None:
            state.setdefault("owner_keys", {}).pop(owner, None)
            state.setdefault("shredded_owners", {})[owner] = True

        self._update(shred)


class VaultSecretsProvider(SecretsProvider):
    """HashiCorp Vault or OpenBao: KV v2 for named secrets, Transit (aes256-gcm96) for data keys."""

    name = "vault"

    def __init__(
        self,
        *,
        url: str,
        token: str,
        kv_mount: str = "secret",
        kv_prefix: str = "lykos",
        transit_mount: str = "transit",
        transit_key: str = "lykos-fields",
        timeout: float = 5.0,
    ) -> None:
        import hvac

        self.client = hvac.Client(
            url=url,
            token=token,
            timeout=timeout,  # type: ignore[arg-type]  # requests takes float seconds; the stub says int
        )
        self.kv_mount = kv_mount
        self.kv_prefix = kv_prefix
        self.transit_mount = transit_mount
        self.transit_key = transit_key

    def _call(self, fn: Callable[[], T]) -> T:
        import hvac.exceptions
        import requests

        try:
            return fn()
        except (requests.ConnectionError, requests.Timeout, hvac.exceptions.VaultDown) as exc:
            raise SecretsUnavailable(f"Vault unreachable: {exc}") from exc
        except hvac.exceptions.VaultError as exc:
            raise SecretsError(f"Vault refused the request: {exc}") from exc

    def bootstrap(self) -> None:
        """Enable Transit and create the field key if missing (dev servers and first deployment)."""
        mounts: dict[str, Any] = self._call(lambda: self.client.sys.list_mounted_secrets_engines())
        if f"{self.transit_mount}/" not in mounts.get("data", mounts):
            self._call(lambda: self.client.sys.enable_secrets_engine("transit", path=self.transit_mount))
        # hvac validates key types against an old list client-side; a raw write avoids that.
        self._call(
            lambda: self.client.write_data(
                f"{self.transit_mount}/keys/{self.transit_key}", data={"type": "aes256-gcm96"}
            )
        )

    def _path(self, name: str) -> str:
        return f"{self.kv_prefix}/{name}"

    def read_secret(self, name: str) -> dict[str, str] | None:
        import hvac.exceptions

        def read() -> dict[str, str] | None:
            try:
                response = self.client.secrets.kv.v2.read_secret_version(
                    path=self._path(name), mount_point=self.kv_mount, raise_on_deleted_version=True
                )
            except hvac.exceptions.InvalidPath:
                return None
            secret: dict[str, str] = response["data"]["data"]
            return secret

        return self._call(read)

    def write_secret(self, name: str, data: dict[str, str]) -> None:
        self._call(
            lambda: self.client.secrets.kv.v2.create_or_update_secret(
                path=self._path(name), secret=dict(data), mount_point=self.kv_mount
            )
        )

    def create_secret_if_absent(self, name: str, data: dict[str, str]) -> dict[str, str]:
        import hvac.exceptions

        def create() -> None:
            # cas=0 writes only if the secret does not exist, so racing processes agree on one value; if
            # another process won, its value is read below.
            with contextlib.suppress(hvac.exceptions.InvalidRequest):
                self.client.secrets.kv.v2.create_or_update_secret(
                    path=self._path(name), secret=dict(data), cas=0, mount_point=self.kv_mount
                )

        self._call(create)
        stored = self.read_secret(name)
        if stored is None:
            raise SecretsError(f"Secret {name!r} vanished right after it was created.")
        return stored

    def generate_data_key(self) -> DataKey:
        response = self._call(
            lambda: self.client.secrets.transit.generate_data_key(
                name=self.transit_key, key_type="plaintext", mount_point=self.transit_mount
            )
        )
        data: dict[str, str] = response["data"]
        return DataKey(plaintext=base64.b64decode(data["plaintext"]), wrapped=data["ciphertext"])

    def unwrap_data_key(self, wrapped: str) -> bytes:
        response = self._call(
            lambda: self.client.secrets.transit.decrypt_data(
                name=self.transit_key, ciphertext=wrapped, mount_point=self.transit_mount
            )
        )
        return base64.b64decode(response["data"]["plaintext"])

    def rewrap_data_key(self, wrapped: str) -> str:
        response = self._call(
            lambda: self.client.secrets.transit.rewrap_data(
                name=self.transit_key, ciphertext=wrapped, mount_point=self.transit_mount
            )
        )
        ciphertext: str = response["data"]["ciphertext"]
        return ciphertext

    def rotate_master_key(self) -> int:
        self._call(
            lambda: self.client.secrets.transit.rotate_key(name=self.transit_key, mount_point=self.transit_mount)
        )
        return self.master_key_version()

    def master_key_version(self) -> int:
        response = self._call(
            lambda: self.client.secrets.transit.read_key(name=self.transit_key, mount_point=self.transit_mount)
        )
        return int(response["data"]["latest_version"])

    def check(self) -> None:
        status = self._call(lambda: self.client.sys.read_health_status(method="GET"))
        if isinstance(status, dict) and status.get("sealed"):
            raise SecretsUnavailable("Vault is sealed.")

    # Each owner's key is a Transit key of its own (`<transit key>-owner-<owner>`), created with deletion allowed;
    # shredding deletes it. The tombstone is a KV secret, read only on the rare path where the key is missing.

    def _owner_key_name(self, owner: str) -> str:
        return f"{self.transit_key}-owner-{_checked_owner(owner)}"

    def _tombstone(self, owner: str) -> str:
        return f"shredded-owner-keys/{_checked_owner(owner)}"

    def _transit_or_missing(self, fn: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """Run a Transit call; None when the key does not exist (Transit answers 400 "key not found")."""
        import hvac.exceptions

        def call() -> dict[str, Any] | None:
            try:
                return fn()
            except hvac.exceptions.InvalidRequest as exc:
                # Transit words it "encryption key not found" or "no existing key named ... could be found".
                if "not found" in str(exc) or "no existing key" in str(exc):
                    return None
                raise

        return self._call(call)

    def generate_owner_data_key(self, owner: str) -> DataKey:
        name = self._owner_key_name(owner)

        def datakey() -> dict[str, Any]:
            response: dict[str, Any] = self.client.secrets.transit.generate_data_key(
                name=name, key_type="plaintext", mount_point=self.transit_mount
            )
            return response

        response = self._transit_or_missing(datakey)
        if response is None:
            if self.read_secret(self._tombstone(owner)) is not None:
                raise OwnerKeyShredded(f"The key of owner {owner} was shredded.")
            self._call(
                lambda: self.client.write_data(f"{self.transit_mount}/keys/{name}", data={"type": "aes256-gcm96"})
            )
            self._call(
                lambda: self.client.write_data(
                    f"{self.transit_mount}/keys/{name}/config", data={"deletion_allowed": True}
                )
            )
            # An erasure that ran between the check and the creation must win: shred what was just created.
            if self.read_secret(self._tombstone(owner)) is not None:
                self.shred_owner_key(owner)
                raise OwnerKeyShredded(f"The key of owner {owner} was shredded.")
            response = self._call(datakey)
        data: dict[str, str] = response["data"]
        return DataKey(plaintext=base64.b64decode(data["plaintext"]), wrapped=data["ciphertext"])

    def unwrap_owner_data_key(self, owner: str, wrapped: str) -> bytes:
        name = self._owner_key_name(owner)
        response = self._transit_or_missing(
            lambda: self.client.secrets.transit.decrypt_data(
                name=name, ciphertext=wrapped, mount_point=self.transit_mount
            )
        )
        if response is None:
            raise OwnerKeyShredded(f"The key of owner {owner} is gone.")
        return base64.b64decode(response["data"]["plaintext"])

    def shred_owner_key(self, owner: str) -> None:
        name = self._owner_key_name(owner)
        # Tombstone first: from here on nothing creates the key again, whatever happens to the deletion below.
        self.write_secret(self._tombstone(owner), {"shredded": "true"})

        def allow_deletion() -> dict[str, Any]:
            self.client.write_data(f"{self.transit_mount}/keys/{name}/config", data={"deletion_allowed": True})
            return {}

        def delete() -> dict[str, Any]:
            self.client.secrets.transit.delete_key(name=name, mount_point=self.transit_mount)
            return {}

        if self._transit_or_missing(allow_deletion) is not None:
            self._transit_or_missing(delete)


@lru_cache(maxsize=1)
def get_secrets_provider() -> SecretsProvider:
    """The configured provider, built once per process."""
    backend = settings.SECRETS_BACKEND
    if backend == "local":
        return LocalSecretsProvider(settings.LOCAL_SECRETS_FILE)
    if backend == "vault":
        missing = [name for name in ("VAULT_ADDR", "VAULT_TOKEN") if not getattr(settings, name)]
        if missing:
            raise ImproperlyConfigured(f"SECRETS_BACKEND=vault needs {', '.join(missing)}.")
        return VaultSecretsProvider(
            url=settings.VAULT_ADDR,
            token=settings.VAULT_TOKEN,
            kv_mount=settings.VAULT_KV_MOUNT,
            kv_prefix=settings.VAULT_KV_PREFIX,
            transit_mount=settings.VAULT_TRANSIT_MOUNT,
            transit_key=settings.VAULT_TRANSIT_KEY,
            timeout=settings.VAULT_TIMEOUT_SECONDS,
        )
    raise ImproperlyConfigured(f"Unknown SECRETS_BACKEND {backend!r}: use 'local' or 'vault'.")


@receiver(setting_changed)
def _reset_provider(*, setting: str, **_: object) -> None:
    if setting.startswith(("SECRETS_", "VAULT_", "LOCAL_SECRETS")):
        get_secrets_provider.cache_clear()

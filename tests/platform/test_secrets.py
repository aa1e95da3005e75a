"""Both providers behind one interface; the Vault one against the real OpenBao dev server."""

import stat
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from lykos.secrets import (
    LocalSecretsProvider,
    OwnerKeyShredded,
    SecretsError,
    get_secrets_provider,
    wrapped_key_version,
)


@pytest.fixture(params=["vault", "local"])
def provider(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "vault":
        return get_secrets_provider()
    return LocalSecretsProvider(tmp_path / "secrets.json")


def test_vault_is_the_provider_under_test(vault_server) -> None:  # type: ignore[no-untyped-def]
    provider = get_secrets_provider()
    assert provider.name == "vault"
    assert provider.client.url == vault_server.addr


def test_named_secret_roundtrip(provider, request) -> None:  # type: ignore[no-untyped-def]
    name = f"roundtrip-{request.node.callspec.id}"
    assert provider.read_secret(name) is None
    provider.write_secret(name, {"value": "s3cret"})
    assert provider.read_secret(name) == {"value": "s3cret"}


def test_racing_creators_agree_on_one_value(provider, request) -> None:  # type: ignore[no-untyped-def]
    name = f"race-{request.node.callspec.id}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda i: provider.create_secret_if_absent(name, {"v": str(i)}), range(8)))
    assert len({v["v"] for v in values}) == 1


def test_data_key_wraps_unwraps_and_survives_rotation(provider) -> None:  # type: ignore[no-untyped-def]
    key = provider.generate_data_key()
    assert len(key.plaintext) == 32 and key.plaintext.hex() not in key.wrapped
    before = provider.master_key_version()
    assert wrapped_key_version(key.wrapped) == before
    assert provider.rotate_master_key() == before + 1
    assert provider.unwrap_data_key(key.wrapped) == key.plaintext
    rewrapped = provider.rewrap_data_key(key.wrapped)
    assert wrapped_key_version(rewrapped) == before + 1
    assert provider.unwrap_data_key(rewrapped) == key.plaintext


def test_tampered_wrapped_key_is_refused(provider) -> None:  # type: ignore[no-untyped-def]
    wrapped = provider.generate_data_key().wrapped
    prefix, body = wrapped.rsplit(":", 1)
    flipped = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
    with pytest.raises(SecretsError):
        provider.unwrap_data_key(f"{prefix}:{flipped}")


def test_local_provider_generates_its_key_file_privately_on_first_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nested" / "dev-secrets.json"
    provider = LocalSecretsProvider(path)
    assert not path.exists()
    provider.generate_data_key()
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_owner_keys_wrap_per_person_and_shredding_is_final(provider) -> None:  # type: ignore[no-untyped-def]
    """Crypto-shredding: each owner's data keys unwrap only under that owner's key; once shredded, nothing
    unwraps and the key is never silently created again for the same owner (a tombstone stays)."""
    owner, other = f"u-{uuid.uuid4()}", f"u-{uuid.uuid4()}"
    mine, theirs = provider.generate_owner_data_key(owner), provider.generate_owner_data_key(other)
    assert provider.unwrap_owner_data_key(owner, mine.wrapped) == mine.plaintext
    with pytest.raises(SecretsError):
        provider.unwrap_owner_data_key(other, mine.wrapped)  # another person's key does not open it

    provider.shred_owner_key(owner)
    provider.shred_owner_key(owner)  # idempotent
    with pytest.raises(OwnerKeyShredded):
        provider.unwrap_owner_data_key(owner, mine.wrapped)
    with pytest.raises(OwnerKeyShredded):
        provider.generate_owner_data_key(owner)
    assert provider.unwrap_owner_data_key(other, theirs.wrapped) == theirs.plaintext
    with pytest.raises(SecretsError):
        provider.generate_owner_data_key("not/an owner")

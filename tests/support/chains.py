"""Dev chains for the whole suite: anvil + EntryPoint v0.8 + our contracts + alto, one of each per session.

`devchain` uses anvil's default hardfork (P-256 precompile present). `prague_chain` is a second chain with another
chain id and no precompile, started only if a test asks for it. Tests never evm_revert (it wedges alto); they
isolate themselves with fresh passkeys and salts instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from apps.chain.dev import DevChain, start_devchain

#: Chain id of the second (prague, no P-256 precompile) dev chain of the session.
PRAGUE_CHAIN_ID = 31338


@pytest.fixture(scope="session")
def devchain() -> Iterator[DevChain]:
    with start_devchain() as chain:
        assert chain.p256_precompile, "anvil's default hardfork should have the P-256 precompile"
        yield chain


@pytest.fixture(scope="session")
def prague_chain() -> Iterator[DevChain]:
    with start_devchain(hardfork="prague", chain_id=PRAGUE_CHAIN_ID) as chain:
        assert not chain.p256_precompile, "prague has no P-256 precompile"
        yield chain


@pytest.fixture(scope="session")
def w3(devchain: DevChain) -> Web3:
    return Web3(Web3.HTTPProvider(devchain.rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="session")
def prague_w3(prague_chain: DevChain) -> Web3:
    return Web3(Web3.HTTPProvider(prague_chain.rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="session")
def sponsor_devchain(_secrets_on_vault):  # type: ignore[no-untyped-def]
    """A dev chain whose paymaster trusts our own signer key (held by OpenBao), as `manage.py devchain` starts it."""
    from apps.chain.dev import start_devchain
    from apps.paymaster.signer import paymaster_signer_address, paymaster_signer_forget

    paymaster_signer_forget()
    with start_devchain(chain_id=31340, paymaster_signer=paymaster_signer_address()) as chain:
        yield chain


@pytest.fixture(scope="session")
def sponsor_w3(sponsor_devchain):  # type: ignore[no-untyped-def]
    from web3 import Web3

    return Web3(Web3.HTTPProvider(sponsor_devchain.rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture
def sponsor_chain(sponsor_devchain):  # type: ignore[no-untyped-def]
    from apps.chain.dev.registry import register
    from apps.chain.models import Chain

    register(sponsor_devchain, name="Dev (sponsored)")
    return Chain.objects.get(pk=sponsor_devchain.chain_id)


@pytest.fixture(scope="session")
def sponsor_devchain_b(_secrets_on_vault):  # type: ignore[no-untyped-def]
    """A second sponsored dev chain (another chain id, the same account addresses): what "every chain where the
    account is deployed" means in the revocation tests."""
    from apps.chain.dev import start_devchain
    from apps.paymaster.signer import paymaster_signer_address, paymaster_signer_forget

    paymaster_signer_forget()
    with start_devchain(chain_id=31341, paymaster_signer=paymaster_signer_address()) as chain:
        yield chain


@pytest.fixture(scope="session")
def sponsor_w3_b(sponsor_devchain_b):  # type: ignore[no-untyped-def]
    from web3 import Web3

    return Web3(Web3.HTTPProvider(sponsor_devchain_b.rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture
def sponsor_chain_b(sponsor_devchain_b):  # type: ignore[no-untyped-def]
    from apps.chain.dev.registry import register
    from apps.chain.models import Chain

    register(sponsor_devchain_b, name="Dev B (sponsored)")
    return Chain.objects.get(pk=sponsor_devchain_b.chain_id)

"""Security tests run on the session's real dev chain (anvil + EntryPoint v0.8 + alto) with real OpenZeppelin
contracts deployed here. Tests isolate themselves with fresh users (fresh passkeys, so fresh account addresses) and
fresh contracts; nobody reverts the chain."""

from __future__ import annotations

import pytest

from tests.support.security import Scene


@pytest.fixture
def chain(devchain):  # type: ignore[no-untyped-def]
    from apps.chain.dev.registry import register
    from apps.chain.models import Chain

    register(devchain, name="Dev")
    return Chain.objects.get(pk=devchain.chain_id)


@pytest.fixture
def scene(chain, devchain, w3, wallet):  # type: ignore[no-untyped-def]
    """A signed-up user whose (counterfactual) account holds tokens, plus the contracts the scenarios need."""
    return Scene.create(chain=chain, devchain=devchain, w3=w3, wallet=wallet)

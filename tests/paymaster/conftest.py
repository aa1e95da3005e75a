"""Transactions against the real stack: anvil + EntryPoint v0.8 + our contracts + alto, and a Celery worker
that follows receipts. The session chain fixtures are in tests/support/chains.py, the helpers that drive a
transaction in tests/support/transactions.py."""

from __future__ import annotations

import pytest

from apps.chain.dev.registry import register
from apps.chain.models import Chain


@pytest.fixture
def chain(devchain) -> Chain:  # type: ignore[no-untyped-def]
    """The session dev chain in the registry, without a paymaster: the user pays their own gas."""
    register(devchain, name="Dev")
    Chain.objects.filter(pk=devchain.chain_id).update(paymaster="")
    return Chain.objects.get(pk=devchain.chain_id)

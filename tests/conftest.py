"""The suite's shared fixtures, loaded for every test package.

They live in tests/support/ modules, registered here: the real servers (PostgreSQL and Redis checks, OpenBao,
a Celery worker), the dev chains, people using the API, the live server under a passkey-friendly name, and the
end-of-run check that every error response the API gave is documented in its schema.
Helpers that tests import come from tests/support/ too, never from a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.support.servers",
    "tests.support.chains",
    "tests.support.api_wallet",
    "tests.support.live_server",
    "tests.support.error_schema",
    "tests.support.s3",
]


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Rate-limit counters and challenges must not leak between tests (the suite's own Redis DB only)."""
    from django.core.cache import cache

    cache.clear()
    yield

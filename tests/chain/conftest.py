"""The dev-chain fixtures live in tests/support/chains.py (shared by every test package through the root
conftest); the names are re-exported here for modules that import them from this place."""

from tests.support.chains import devchain, prague_chain, prague_w3, w3  # noqa: F401

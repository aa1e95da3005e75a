"""Record a running dev chain in the chain registry, as `manage.py devchain` and the test fixtures do."""

from __future__ import annotations

from apps.chain.dev.supervisor import DevChain
from apps.chain.models import Chain
from apps.chain.services import chain_upsert


def register(chain: DevChain, *, name: str) -> Chain:
    return chain_upsert(
        chain_id=chain.chain_id,
        name=name,
        rpc_url=chain.rpc_url,
        bundler_url=chain.bundler_url,
        entry_point=chain.entry_point,
        account_factory=chain.factory,
        account_implementation=chain.implementation,
        webauthn_verifier=chain.webauthn_verifier,
        paymaster=chain.paymaster,
        p256_precompile=chain.p256_precompile,
    )

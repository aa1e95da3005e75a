"""The `wallet` scope's data: the user's account addresses per chain.

The chain app (built in parallel) owns `apps.chain.models.Account` (user, chain, address). It is looked up
lazily through the app registry so that this app works, and answers an empty list, until that model exists.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps


def wallet_addresses(*, user: Any) -> list[dict[str, Any]]:
    try:
        account_model = apps.get_model("chain", "Account")
    except LookupError:
        return []
    rows = account_model.objects.filter(user=user).order_by("chain_id").values_list("chain_id", "address")
    return [{"chain_id": chain_id, "address": address} for chain_id, address in rows]

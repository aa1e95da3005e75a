"""Accounts API output: an account with its deployment status and the balances its view read from the chain."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.chain.models import Account
from apps.chain.selectors import Balance
from apps.chain.serializer_fields import AddressField, ChainIdField, WeiField


class BalanceOut(serializers.Serializer[dict[str, Any]]):
    token = serializers.CharField(help_text='"native" or the ERC-20 contract address')
    symbol = serializers.CharField()
    decimals = serializers.IntegerField()
    amount = WeiField(help_text="Base units (wei), as a decimal string")


class AccountOut(serializers.Serializer[dict[str, Any]]):
    chain_id = ChainIdField()
    chain_name = serializers.CharField()
    address = AddressField()
    kind = serializers.CharField()
    deployed = serializers.BooleanField()
    owners = serializers.ListField(child=serializers.CharField(), help_text="Passkey (device) ids owning the account")
    balances = BalanceOut(many=True, allow_null=True, help_text="null when the chain cannot be read right now")
    explorer_url = serializers.CharField(allow_blank=True)

    @staticmethod
    def render(account: Account, *, balances: list[Balance] | None) -> dict[str, Any]:
        explorer = (
            f"{account.chain.explorer_url.rstrip('/')}/address/{account.address}" if account.chain.explorer_url else ""
        )
        return AccountOut(
            {
                "chain_id": account.chain_id,
                "chain_name": account.chain.name,
                "address": account.address,
                "kind": account.kind,
                "deployed": account.deployed,
                "owners": account.owners,
                "balances": None if balances is None else [{**b.__dict__, "amount": str(b.amount)} for b in balances],
                "explorer_url": explorer,
            }
        ).data

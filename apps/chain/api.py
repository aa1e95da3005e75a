"""Accounts API: the user's smart accounts per chain, with deployment status and on-chain balances."""

from __future__ import annotations

import contextlib
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.chain import selectors, services
from apps.chain.errors import ChainUnavailable
from apps.chain.models import Account
from lykos.api import error_responses


class BalanceOut(serializers.Serializer):
    token = serializers.CharField(help_text='"native" or the ERC-20 contract address')
    symbol = serializers.CharField()
    decimals = serializers.IntegerField()
    amount = serializers.CharField(help_text="Base units (wei), as a decimal string")


class AccountOut(serializers.Serializer):
    chain_id = serializers.IntegerField()
    chain_name = serializers.CharField()
    address = serializers.CharField()
    kind = serializers.CharField()
    deployed = serializers.BooleanField()
    owners = serializers.ListField(child=serializers.CharField(), help_text="Passkey (device) ids owning the account")
    balances = BalanceOut(many=True, allow_null=True, help_text="null when the chain cannot be read right now")
    explorer_url = serializers.CharField(allow_blank=True)

    @staticmethod
    def render(account: Account) -> dict[str, Any]:
        balances = selectors.account_balances(account=account)
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


class AccountListView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Your smart accounts on every enabled chain, with deployment status and balances",
        responses={
            200: AccountOut(many=True),
            **error_responses(s401=["not_authenticated", "token_invalid", "session_revoked"]),
        },
    )
    def get(self, request: Request) -> Response:
        accounts = list(selectors.account_list(user=request.user))
        for account in accounts:
            if not account.deployed:
                # A chain that cannot be read leaves the account shown as not deployed, with null balances.
                with contextlib.suppress(ChainUnavailable):
                    services.account_refresh_deployment(account=account)
        return Response([AccountOut.render(account) for account in accounts])

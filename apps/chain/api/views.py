"""Accounts API: the user's smart accounts per chain, with deployment status and on-chain balances."""

from __future__ import annotations

import contextlib

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.chain import selectors, services
from apps.chain.api.serializers import AccountOut
from apps.chain.errors import ChainUnavailable
from apps.identity.requests import authenticated_user


class AccountListView(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Your smart accounts on every enabled chain, with deployment status and balances",
        responses={200: AccountOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        accounts = list(selectors.account_list(user=authenticated_user(request)))
        for account in accounts:
            if not account.deployed:
                # A chain that cannot be read leaves the account shown as not deployed, with null balances.
                with contextlib.suppress(ChainUnavailable):
                    services.account_refresh_deployment(account=account)
        return Response(
            [AccountOut.render(account, balances=selectors.account_balances(account=account)) for account in accounts]
        )

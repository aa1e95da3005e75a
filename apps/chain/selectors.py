"""Chain reads: accounts with their deployment status and balances read from the chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from apps.chain.clients import get_node_client
from apps.chain.errors import ChainUnavailable
from apps.chain.models import Account, Chain, Token

if TYPE_CHECKING:
    from apps.identity.models import User


def chain_list(*, enabled_only: bool = True) -> QuerySet[Chain]:
    qs = Chain.objects.all()
    return qs.filter(enabled=True) if enabled_only else qs


def chain_get(*, chain_id: int) -> Chain | None:
    return Chain.objects.filter(chain_id=chain_id, enabled=True).first()


def account_list(*, user: User) -> QuerySet[Account]:
    tokens = Prefetch("chain__tokens", queryset=Token.objects.filter(enabled=True))
    return Account.objects.filter(user=user, chain__enabled=True).select_related("chain").prefetch_related(tokens)


def account_get(*, user: User, chain_id: int) -> Account | None:
    return account_list(user=user).filter(chain_id=chain_id).first()


class WalletAddress(TypedDict):
    chain_id: int
    address: str


def wallet_addresses(*, user: AbstractBaseUser) -> list[WalletAddress]:
    """The user's account address on each enabled chain (what the OpenID `wallet` scope releases)."""
    rows = Account.objects.filter(user_id=user.pk, chain__enabled=True).order_by("chain_id")
    return [
        WalletAddress(chain_id=chain_id, address=address)
        for chain_id, address in rows.values_list("chain_id", "address")
    ]


@dataclass(frozen=True)
class Balance:
    token: str  # "native" or the ERC-20 address
    symbol: str
    decimals: int
    amount: int  # base units (wei)


def account_balances(*, account: Account) -> list[Balance] | None:
    """Native + registered ERC-20 balances, or None when the chain cannot be read right now."""
    node = get_node_client(account.chain)
    try:
        balances = [
            Balance(
                "native",
                account.chain.native_symbol,
                account.chain.native_decimals,
                node.native_balance(account.address),
            )
        ]
        for token in account.chain.tokens.all():
            balances.append(
                Balance(
                    token.address,
                    token.symbol,
                    token.decimals,
                    node.erc20_balance(token=token.address, owner=account.address),
                )
            )
    except ChainUnavailable:
        return None
    return balances

"""What the risk rules know about one scan: who acts, on which chain and account, and the chain state they read.

The chain reads a scan needs (code at the addresses it touches, the balances it moves) go to the node in one
JSON-RPC batch (`prefetch`), so scoring costs one round trip however many rules ask. A read the batch could not
answer is then made on its own: one reverting token must not leave the other rules blind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from web3.exceptions import ContractLogicError

from apps.chain.clients import NodeClient, RpcCall, balance_call, code_call, erc20_balance_call, hex_data, hex_quantity
from apps.chain.errors import ChainUnavailable

if TYPE_CHECKING:
    from apps.chain.models import Chain
    from apps.identity.models import Passkey, Session, User

NATIVE = "native"
Asset = tuple[str, str]  # (standard, token): ("native", "") or ("erc20", token address)


@dataclass
class RiskContext:
    user: User
    chain: Chain | None
    account: str  # checksummed account address
    node: NodeClient | None
    device: Passkey | None = None
    session: Session | None = None
    exclude_simulation_id: uuid.UUID | None = None
    # Addresses that belong to the platform (the account itself, the EntryPoint): never "new" or "unknown".
    infrastructure: set[str] = field(default_factory=set)
    _code: dict[str, bool] = field(default_factory=dict)
    _balances: dict[Asset, int | None] = field(default_factory=dict)

    def prefetch(self, *, code_of: Iterable[str] = (), balances_of: Iterable[Asset] = ()) -> None:
        """Read, in one batch, what the rules will ask of the chain. Any failure leaves the reads to be made one by
        one when asked (with the errors each tolerates)."""
        if self.node is None:
            return
        addresses = sorted(set(code_of) - self._code.keys())
        assets = sorted(set(balances_of) - self._balances.keys())
        calls: list[RpcCall] = [code_call(address) for address in addresses]
        calls += [self._balance_call(asset) for asset in assets]
        if not calls:
            return
        try:
            answers = self.node.batch(calls)
        except ChainUnavailable:
            return
        for address, code in zip(addresses, answers[: len(addresses)], strict=True):
            self._code[address] = bool(hex_data(code))
        for asset, answer in zip(assets, answers[len(addresses) :], strict=True):
            self._balances[asset] = _balance_decoded(asset, answer)

    def has_code(self, address: str) -> bool | None:
        """None when it cannot be told (no node, the node down): the rules then stay silent rather than guess."""
        if self.node is None:
            return None
        if address not in self._code:
            try:
                self._code[address] = self.node.is_deployed(address)
            except ChainUnavailable:
                return None
        return self._code[address]

    def balance_before(self, asset: Asset) -> int | None:
        """The account's balance of a native or ERC-20 asset before the scanned call; None when it cannot be read."""
        if self.node is None:
            return None
        if asset not in self._balances:
            self._balances[asset] = self._balance_read(asset)
        return self._balances[asset]

    def _balance_call(self, asset: Asset) -> RpcCall:
        standard, token = asset
        if standard == NATIVE:
            return balance_call(self.account)
        return erc20_balance_call(token=token, owner=self.account)

    def _balance_read(self, asset: Asset) -> int | None:
        assert self.node is not None
        standard, token = asset
        try:
            if standard == NATIVE:
                return self.node.native_balance(self.account)
            return self.node.erc20_balance(token=token, owner=self.account)
        except (ChainUnavailable, ContractLogicError, ValueError):
            return None


def _balance_decoded(asset: Asset, answer: str | None) -> int | None:
    try:
        if asset[0] == NATIVE:
            return hex_quantity(answer) if answer else None
        data = hex_data(answer)
    except ValueError:
        return None
    return int.from_bytes(data, "big") if data else None

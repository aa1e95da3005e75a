"""Drivers for the security tests (imported by tests/security): real contracts on the dev chain, a signed-up user
with an account, and calls built from the contracts' own ABIs (no hand-written calldata)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from eth_account import Account as EthAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from apps.chain import contracts
from apps.chain.dev import DevChain
from apps.chain.models import Account, Chain
from apps.chain.userops import Call
from apps.identity.models import User

MAX_UINT256 = 2**256 - 1


def deploy(w3: Web3, devchain: DevChain, name: str, *args: Any, key: int = 2) -> Contract:
    """Deploy one of our compiled artifacts (OpenZeppelin-based test contracts) from a funded dev account."""
    artifact = contracts.load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    sender = devchain.funded_keys[key].address
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": sender}))
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def transact(w3: Web3, devchain: DevChain, fn: Any, *, key: int = 2) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": devchain.funded_keys[key].address}))
    assert receipt["status"] == 1


def call(fn: Any, value: int = 0) -> Call:
    """A Call (for the account's batch) from a bound web3 contract function."""
    data = fn._encode_transaction_data()
    return Call(target=fn.address, value=value, data=bytes.fromhex(data[2:]))


def fresh_eoa() -> str:
    return EthAccount.create().address


def lookalike(address: str, *, prefix: int = 4, suffix: int = 4) -> str:
    """An address poisoner's vanity address: the same first and last hex characters, a different middle."""
    body = address[2:].lower()
    middle = secrets.token_hex(20)[prefix : 40 - suffix]
    return to_checksum_address("0x" + body[:prefix] + middle + body[-suffix:])


@dataclass
class Scene:
    chain: Chain
    devchain: DevChain
    w3: Web3
    wallet: Any
    user: User
    account: Account
    token: Contract
    nft: Contract

    @classmethod
    def create(cls, *, chain: Chain, devchain: DevChain, w3: Web3, wallet: Any) -> Scene:
        tokens = wallet.sign_up(f"sec_{secrets.token_hex(4)}")
        user = User.objects.get(pk=tokens["user"]["id"])
        account = Account.objects.get(user=user, chain=chain)
        token = deploy(w3, devchain, "LykosTestToken")
        nft = deploy(w3, devchain, "LykosTestNFT")
        transact(w3, devchain, token.functions.mint(account.address, 1_000 * 10**18))
        transact(w3, devchain, nft.functions.mint(account.address, 7))
        return cls(chain, devchain, w3, wallet, user, account, token, nft)

    @property
    def address(self) -> str:
        return to_checksum_address(self.account.address)

    def fund(self, wei: int) -> None:
        sender = self.devchain.funded_keys[2].address
        tx = self.w3.eth.send_transaction({"from": sender, "to": self.address, "value": wei})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    def deploy_account(self) -> None:
        """Deploy the user's account (createAccount from an EOA), as its first operation would."""
        passkey = self.account.initial_owner
        factory = contracts.bind(self.w3, "LykosAccountFactory", self.chain.account_factory)
        qx, qy = bytes(passkey.public_key_x).rjust(32, b"\0"), bytes(passkey.public_key_y).rjust(32, b"\0")
        transact(self.w3, self.devchain, factory.functions.createAccount(qx, qy, int(self.account.salt)))
        assert self.w3.eth.get_code(self.address) != b""

    def scan(self, calls: list[Call], **kwargs: Any) -> Any:
        from apps.security.services import scan_user_operation

        return scan_user_operation(user=self.user, chain=self.chain, account=self.account, calls=calls, **kwargs)

    def api_scan(self, calls: list[Call]) -> dict[str, Any]:
        body = {
            "chain_id": self.chain.chain_id,
            "calls": [{"target": c.target, "value": str(c.value), "data": "0x" + c.data.hex()} for c in calls],
        }
        response = self.wallet.authed("post", "/api/v1/security/scan/user-operation", body)
        assert response.status_code == 200, response.content
        return response.json()


def kinds(verdict: Any) -> set[str]:
    return {w.kind for w in verdict.warnings}

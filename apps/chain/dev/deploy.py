"""What a dev chain holds once anvil is up: our contracts at their canonical addresses, a funded LykosPaymaster,
and the public dev keys that own them.

Contracts are deployed through the deterministic deployment proxy with the same salts and bytecode as on any
public chain, so the EntryPoint sits at its canonical address (alto recognises v0.8 only there) and our factory and
implementation have the addresses they will have everywhere. Reads go through `NodeClient`'s typed methods; sends
from anvil's unlocked accounts (a dev-chain-only call it has no typed method for) through its raw `request`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_abi import encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from apps.chain.clients import NodeClient
from apps.chain.contracts import DETERMINISTIC_DEPLOYER, LykosDeployments, load_artifact

if TYPE_CHECKING:
    from apps.chain.dev.supervisor import DevChain

#: Private keys of anvil's default accounts (mnemonic "test test ... junk"): public knowledge, each funded with
#: 10,000 ETH on every dev chain.
ANVIL_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)

#: The dev chains' paymaster signer when the caller brings none: a fixed key derived from a public string (so it is
#: public knowledge, like anvil's keys). It holds no ETH; it only signs paymasterData.
DEV_PAYMASTER_SIGNER_KEY = "0x" + keccak(text="lykos.devchain.paymaster-signer.v1").hex()
#: What start_devchain deposits at the EntryPoint for the paymaster by default.
DEFAULT_PAYMASTER_DEPOSIT_WEI = 100 * 10**18

#: A valid P-256 signature (Wycheproof vector, as OpenZeppelin's P256 library uses it) to probe for the precompile.
_P256_PROBE = bytes.fromhex(
    "bb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023"
    + "00" * 31
    + "05"
    + "00" * 31
    + "01"
    + "a71af64de5126a4a4e02b7922d66ce9415ce88a4c9d25514d91082c8725ac957"
    + "5d47723c8fbe580bb369fec9c2665d8e30a435b9932645482e7c9f11e872296b"
)
P256_PRECOMPILE = "0x0000000000000000000000000000000000000100"

_SET_SIGNER_SELECTOR = function_signature_to_4byte_selector("setSigner(address)")
_SIGNER_SELECTOR = function_signature_to_4byte_selector("signer()")
_GET_DEPOSIT_SELECTOR = function_signature_to_4byte_selector("getDeposit()")
_DEPOSIT_SELECTOR = function_signature_to_4byte_selector("deposit()")


class DevChainError(RuntimeError):
    """The dev chain could not start (the message carries the failing process's output)."""


@dataclass(frozen=True)
class DevKey:
    """A funded dev-chain account. Its key is public knowledge: never use it outside a dev chain."""

    address: str
    private_key: str


def dev_key(private_key: str) -> DevKey:
    return DevKey(address=Account.from_key(private_key).address, private_key=private_key)


def deploy_contracts(node: NodeClient, deployments: LykosDeployments, *, sender: str) -> None:
    """EntryPoint v0.8 and our contracts, each at its deterministic address; DevChainError if one is missing."""
    tx_hashes = [
        _send(
            node, {"from": sender, "to": DETERMINISTIC_DEPLOYER, "data": "0x" + d.deploy_data.hex(), "gas": 8_000_000}
        )
        for d in deployments.in_order()
    ]
    for tx_hash in tx_hashes:
        _require_success(node, tx_hash)
    for deployment in deployments.in_order():
        if not node.is_deployed(deployment.address):
            raise DevChainError(f"{deployment.name} is not at {deployment.address} after deployment")


def deploy_paymaster(node: NodeClient, *, owner: str, signer: str, deposit_wei: int) -> str:
    """Deploy LykosPaymaster(owner, signer) from `owner` (an unlocked anvil account) and fund its deposit."""
    init_code = load_artifact("LykosPaymaster").init_code(["address", "address"], [owner, signer])
    receipt = _transact(node, owner, None, init_code, gas=3_000_000)
    paymaster = to_checksum_address(receipt["contractAddress"])
    if deposit_wei:
        _transact(node, owner, paymaster, _DEPOSIT_SELECTOR, value=deposit_wei)
    return paymaster


def has_p256_precompile(node: NodeClient) -> bool:
    """Whether the chain answers the RIP-7212/EIP-7951 P-256 precompile (a known-valid signature returns 1)."""
    result = node.call(to=P256_PRECOMPILE, data=_P256_PROBE)
    return int.from_bytes(result, "big") == 1


def set_paymaster_signer(chain: DevChain, signer_address: str) -> None:
    """Rotate the dev chain paymaster's signer to `signer_address` (a transaction by the owner key).

    For pointing a running dev chain at a key the backend generated; ops signed by the previous key stop passing.
    """
    if chain.paymaster_owner is None or not chain.paymaster:
        raise DevChainError("this dev chain has no paymaster")
    data = _SET_SIGNER_SELECTOR + encode(["address"], [to_checksum_address(signer_address)])
    _transact(chain.node, chain.paymaster_owner.address, chain.paymaster, data)


def paymaster_signer_address(chain: DevChain) -> str:
    """The paymaster's current signer, read from the contract."""
    return to_checksum_address(chain.node.call(to=chain.paymaster, data=_SIGNER_SELECTOR)[-20:])


def paymaster_deposit(chain: DevChain) -> int:
    """The paymaster's EntryPoint deposit in wei (LykosPaymaster.getDeposit)."""
    return int.from_bytes(chain.node.call(to=chain.paymaster, data=_GET_DEPOSIT_SELECTOR), "big")


def _send(node: NodeClient, tx: dict[str, Any]) -> str:
    """eth_sendTransaction from an unlocked anvil account (anvil signs); the transaction hash."""
    fields = {k: v if isinstance(v, str) else hex(v) for k, v in tx.items()}
    return str(node.request("eth_sendTransaction", [fields]))


def _transact(
    node: NodeClient, sender: str, to: str | None, data: bytes, *, value: int = 0, gas: int = 500_000
) -> dict[str, Any]:
    """Send from an unlocked anvil account, wait for the receipt and require success."""
    tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "gas": gas, "value": value}
    if to is not None:
        tx["to"] = to
    return _require_success(node, _send(node, tx))


def _require_success(node: NodeClient, tx_hash: str, *, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (receipt := node.request("eth_getTransactionReceipt", [tx_hash])) is None:
        if time.monotonic() > deadline:
            raise DevChainError(f"transaction {tx_hash} not mined within {timeout} s")
        time.sleep(0.02)
    if int(receipt["status"], 16) != 1:
        raise DevChainError(f"transaction {tx_hash} failed: {receipt}")
    return dict(receipt)

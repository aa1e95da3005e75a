"""Contract artifacts and the deterministic addresses they deploy to.

Everything the backend needs to know about our contracts without a node: ABIs, init code, and the CREATE2 addresses
of the EntryPoint, the WebAuthn verifier, the account implementation and the factory (all deployed through the
deterministic deployment proxy, so identical on every chain), plus the counterfactual address of a user's account.
Framework-free: the dev chain launcher and tests use it without Django.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "contracts" / "artifacts"
NODE_MODULES = REPO_ROOT / "node_modules"
ENTRY_POINT_V08_ARTIFACT = NODE_MODULES / "@account-abstraction" / "contracts" / "artifacts" / "EntryPoint.json"

#: Arachnid's deterministic deployment proxy: `salt ‖ init code` in, CREATE2 out (pre-installed on anvil).
DETERMINISTIC_DEPLOYER = to_checksum_address("0x4e59b44847b379578588920ca78fbf26c0b4956c")
ENTRY_POINT_V08 = to_checksum_address("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108")
#: The salt the canonical v0.8 deployment used; with the npm artifact's bytecode it yields ENTRY_POINT_V08.
ENTRY_POINT_V08_SALT = bytes.fromhex("0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9")
#: Salt for our own contracts. Changing it (or any byte of their bytecode) moves every account address.
LYKOS_DEPLOY_SALT = keccak(text="lykos.social-wallet.contracts.v1")

# ERC-1167 minimal proxy creation code around the implementation address (as OpenZeppelin's Clones emits it).
_CLONE_PREFIX = bytes.fromhex("3d602d80600a3d3981f3363d3d373d3d3d363d73")
_CLONE_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")


class ArtifactMissing(FileNotFoundError):
    """An artifact is absent: run `node contracts/build.mjs` (ours) or `npm ci` (EntryPoint)."""


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: ABI plus creation and runtime bytecode."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes

    def init_code(self, types: Sequence[str] = (), args: Sequence[Any] = ()) -> bytes:
        """Creation bytecode followed by the ABI-encoded constructor arguments."""
        return self.bytecode + (encode(list(types), list(args)) if types else b"")


def _read_artifact(name: str, path: Path) -> Artifact:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ArtifactMissing(f"{path} not found: run `node contracts/build.mjs` or `npm ci`") from exc
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"].removeprefix("0x")),
    )


@cache
def load_artifact(name: str) -> Artifact:
    """One of our artifacts from contracts/artifacts (LykosAccount, LykosAccountFactory, ...)."""
    return _read_artifact(name, ARTIFACTS_DIR / f"{name}.json")


@cache
def entry_point_v08_artifact() -> Artifact:
    """EntryPoint v0.8 as published on npm; its bytecode is the canonical init code."""
    return _read_artifact("EntryPoint", ENTRY_POINT_V08_ARTIFACT)


def create2_address(deployer: str, salt: bytes, init_code: bytes) -> str:
    """EIP-1014 address for `init_code` deployed by `deployer` with `salt`."""
    if len(salt) != 32:
        raise ValueError("CREATE2 salt must be 32 bytes")
    digest = keccak(b"\xff" + bytes.fromhex(deployer.removeprefix("0x")) + salt + keccak(init_code))
    return to_checksum_address(digest[12:])


@dataclass(frozen=True)
class DeterministicDeployment:
    """A contract deployed through the deterministic deployment proxy."""

    name: str
    salt: bytes
    init_code: bytes

    @property
    def address(self) -> str:
        return create2_address(DETERMINISTIC_DEPLOYER, self.salt, self.init_code)

    @property
    def deploy_data(self) -> bytes:
        """Calldata of the transaction to DETERMINISTIC_DEPLOYER that creates the contract."""
        return self.salt + self.init_code


@dataclass(frozen=True)
class LykosDeployments:
    """The four contracts a chain needs, in deployment order (each depends only on the ones before)."""

    entry_point: DeterministicDeployment
    webauthn_verifier: DeterministicDeployment
    implementation: DeterministicDeployment
    factory: DeterministicDeployment

    def in_order(self) -> tuple[DeterministicDeployment, ...]:
        return (self.entry_point, self.webauthn_verifier, self.implementation, self.factory)


@cache
def lykos_deployments(salt: bytes = LYKOS_DEPLOY_SALT) -> LykosDeployments:
    """Deterministic deployments of EntryPoint v0.8 and our contracts (addresses are pure functions of bytecode)."""
    verifier = DeterministicDeployment(
        "ERC7913WebAuthnVerifier", salt, load_artifact("ERC7913WebAuthnVerifier").init_code()
    )
    implementation = DeterministicDeployment(
        "LykosAccount", salt, load_artifact("LykosAccount").init_code(["address"], [verifier.address])
    )
    factory = DeterministicDeployment(
        "LykosAccountFactory",
        salt,
        load_artifact("LykosAccountFactory").init_code(["address"], [implementation.address]),
    )
    entry_point = DeterministicDeployment("EntryPoint", ENTRY_POINT_V08_SALT, entry_point_v08_artifact().bytecode)
    return LykosDeployments(entry_point, verifier, implementation, factory)


def account_address(
    qx: int, qy: int, salt: int, *, factory: str | None = None, implementation: str | None = None
) -> str:
    """Counterfactual account address for initial passkey (qx, qy) and `salt`, computed offline.

    Mirrors LykosAccountFactory.getAddress (ERC-1167 clone by CREATE2 with salt keccak(abi.encode(qx, qy, salt))),
    so the backend can show a user's address before any chain call.
    """
    deployments = lykos_deployments()
    factory = factory or deployments.factory.address
    implementation = implementation or deployments.implementation.address
    clone_code = _CLONE_PREFIX + bytes.fromhex(implementation.removeprefix("0x")) + _CLONE_SUFFIX
    clone_salt = keccak(encode(["bytes32", "bytes32", "uint256"], [_b32(qx), _b32(qy), salt]))
    return create2_address(factory, clone_salt, clone_code)


def bind(w3: Web3, name: str, address: str) -> Contract:
    """A web3 contract object for one of our artifacts (or "EntryPoint") at `address`."""
    artifact = entry_point_v08_artifact() if name == "EntryPoint" else load_artifact(name)
    return w3.eth.contract(address=to_checksum_address(address), abi=artifact.abi)


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")

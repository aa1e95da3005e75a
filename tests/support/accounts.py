"""Drivers for the chain tests: passkeys that sign like a browser, and a wallet that sends real UserOperations.

Kept out of the test files so each test reads as the rule it proves. Nothing here fakes the chain: operations go
through alto's eth_sendUserOperation to the real EntryPoint v0.8 on anvil.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from eth_abi import decode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError
from web3.logs import DISCARD
from web3.types import Wei

from apps.chain import contracts, paymaster_data, userops
from apps.chain.clients import BundlerClient, get_bundler_client
from apps.chain.dev import DevChain
from apps.chain.userops import Call, UserOperation
from tests.support.authenticator import SoftAuthenticator, SoftCredential, b64url_decode, der_to_rs, high_s

RP_ID = "localhost"
ORIGIN = "http://localhost:8000"


@dataclass
class Passkey:
    """A device passkey on a software authenticator; signs challenges exactly as navigator.credentials.get does."""

    credential: SoftCredential
    authenticator: SoftAuthenticator

    @classmethod
    def create(cls, *, user_verification: bool = True) -> Passkey:
        authenticator = SoftAuthenticator(origin=ORIGIN, user_verification=user_verification)
        credential = SoftCredential(
            credential_id=secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=RP_ID,
            user_handle=secrets.token_bytes(16),
        )
        authenticator.credentials[credential.credential_id] = credential
        return cls(credential, authenticator)

    @property
    def qx(self) -> int:
        return self.credential.public_xy[0]

    @property
    def qy(self) -> int:
        return self.credential.public_xy[1]

    def key_tuple(self) -> tuple[bytes, bytes]:
        """The key as LykosAccount's PublicKey struct (bytes32 x, bytes32 y)."""
        return self.qx.to_bytes(32, "big"), self.qy.to_bytes(32, "big")

    def webauthn_signature(self, challenge: bytes, *, make_high_s: bool = False) -> bytes:
        """Assert `challenge` and encode it for the account (low-s unless `make_high_s`)."""
        self.credential.sign_count += 1
        response = self.authenticator.assert_challenge(self.credential, challenge)["response"]
        der = b64url_decode(response["signature"])
        if make_high_s:
            der = high_s(der)
        r, s = der_to_rs(der)
        return userops.encode_webauthn_signature(
            authenticator_data=b64url_decode(response["authenticatorData"]),
            client_data_json=b64url_decode(response["clientDataJSON"]),
            r=r,
            s=s,
            normalize_s=not make_high_s,
        )


def signer_of(chain: DevChain, passkey: Passkey) -> bytes:
    return userops.passkey_signer(chain.webauthn_verifier, passkey.qx, passkey.qy)


def revert_selector(error_signature: str) -> str:
    return "0x" + keccak(text=error_signature)[:4].hex()


def assert_reverts_with(call: Any, error_signature: str, tx: dict[str, Any] | None = None) -> None:
    """`call` (a web3 ContractFunction) must revert with the custom error `error_signature` (e.g. "Foo(uint256)")."""
    try:
        call.call(tx or {})
    except ContractCustomError as exc:
        data = exc.data if isinstance(exc.data, str) else str(exc.data)
        assert data.startswith(revert_selector(error_signature)), f"reverted with {data}, not {error_signature}"
        return
    raise AssertionError(f"call did not revert (expected {error_signature})")


@dataclass
class Wallet:
    """One LykosAccount on one dev chain, driven through the bundler."""

    chain: DevChain
    w3: Web3
    owner: Passkey
    salt: int
    address: str = ""
    deployed_with: list[str] = field(default_factory=list)

    @classmethod
    def new(cls, chain: DevChain, w3: Web3, *, owner: Passkey | None = None, salt: int | None = None) -> Wallet:
        owner = owner or Passkey.create()
        salt = secrets.randbits(64) if salt is None else salt
        wallet = cls(chain, w3, owner, salt)
        wallet.address = factory(chain, w3).functions.getAddress(*owner.key_tuple(), salt).call()
        return wallet

    @property
    def contract(self) -> Contract:
        return contracts.bind(self.w3, "LykosAccount", self.address)

    @property
    def deployed(self) -> bool:
        return len(self.w3.eth.get_code(to_checksum_address(self.address))) > 0

    def fund(self, wei: int = 10**18) -> None:
        """Send ETH from a funded dev account (a real transfer: the account pays its own gas, no paymaster)."""
        sender = self.chain.funded_keys[0].address
        tx = self.w3.eth.send_transaction({"from": sender, "to": self.address, "value": Wei(wei)})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    def deploy_directly(self) -> None:
        """createAccount from an EOA (for accounts the test only needs to exist, e.g. an ERC-1271 guardian)."""
        sender = self.chain.funded_keys[0].address
        tx = (
            factory(self.chain, self.w3)
            .functions.createAccount(*self.owner.key_tuple(), self.salt)
            .transact({"from": sender})
        )
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    @property
    def bundler(self) -> BundlerClient:
        return get_bundler_client(self.chain)

    def draft(self, calls: Sequence[Call], *, signer: Passkey | None = None) -> UserOperation:
        """The op before gas and fees: next nonce, the calls, the factory while undeployed, a dummy signature."""
        signer = signer or self.owner
        entry_point = contracts.bind(self.w3, "EntryPoint", self.chain.entry_point)
        op = UserOperation(
            sender=self.address,
            nonce=entry_point.functions.getNonce(self.address, 0).call(),
            call_data=userops.encode_execute(calls),
            signature=userops.dummy_account_signature(signer=signer_of(self.chain, signer), origin=ORIGIN),
        )
        if not self.deployed:
            op = op.replace(
                factory=self.chain.factory,
                factory_data=userops.encode_create_account(self.owner.qx, self.owner.qy, self.salt),
            )
        return op

    def with_gas(self, op: UserOperation) -> UserOperation:
        """`op` with the bundler's fees and its gas estimate (plus the verification margin the dummy misses)."""
        max_fee, max_priority = self.bundler.gas_price()
        op = op.replace(max_fee_per_gas=max_fee, max_priority_fee_per_gas=max_priority)
        estimate = self.bundler.estimate_user_operation_gas(op.to_rpc(), entry_point=self.chain.entry_point)
        return op.replace(
            pre_verification_gas=estimate["preVerificationGas"],
            verification_gas_limit=estimate["verificationGasLimit"]
            + userops.verification_gas_margin(p256_precompile=self.chain.p256_precompile),
            call_gas_limit=estimate["callGasLimit"],
        )

    def build(self, calls: Sequence[Call], *, signer: Passkey | None = None) -> UserOperation:
        """An unsigned op with bundler-estimated gas and bundler fees."""
        return self.with_gas(self.draft(calls, signer=signer))

    def op_hash(self, op: UserOperation) -> bytes:
        return userops.user_op_hash(op, entry_point=self.chain.entry_point, chain_id=self.chain.chain_id)

    def sign(self, op: UserOperation, passkey: Passkey | None = None, **kwargs: Any) -> UserOperation:
        passkey = passkey or self.owner
        signature = userops.encode_account_signature(
            signer=signer_of(self.chain, passkey),
            webauthn_signature=passkey.webauthn_signature(self.op_hash(op), **kwargs),
        )
        return op.replace(signature=signature)

    def submit(self, op: UserOperation) -> str:
        """eth_sendUserOperation through alto; the userOpHash it answers (a refusal raises a chain BundlerError)."""
        return self.bundler.send_user_operation(op.to_rpc(), entry_point=self.chain.entry_point)

    def send(self, op: UserOperation) -> dict[str, Any]:
        """Submit through alto, wait for inclusion, and require that the op's execution succeeded."""
        op_hash = self.submit(op)
        assert op_hash == "0x" + self.op_hash(op).hex()
        receipt = wait_for_receipt(self.bundler, op_hash)
        assert receipt["success"], receipt
        return receipt

    def execute(self, calls: Sequence[Call], *, signer: Passkey | None = None) -> dict[str, Any]:
        """Build, sign with `signer` (default: the initial owner) and send one op."""
        signer = signer or self.owner
        return self.send(self.sign(self.build(calls, signer=signer), signer))

    def self_call(self, fn_name: str, *args: Any) -> Call:
        """A Call from the account to itself (owner and guardian management go through execute)."""
        data = self.contract.functions[fn_name](*args)._encode_transaction_data()
        return Call(target=self.address, data=bytes.fromhex(data[2:]))


def wait_for_receipt(
    bundler: BundlerClient, op_hash: str, *, timeout: float = 30.0, poll_interval: float = 0.05
) -> dict[str, Any]:
    """Poll until the op is included (fractions of a second on anvil); TimeoutError if it never is."""
    deadline = time.monotonic() + timeout
    while (receipt := bundler.get_user_operation_receipt(op_hash)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"UserOperation {op_hash} not included within {timeout} s")
        time.sleep(poll_interval)
    return receipt


def factory(chain: DevChain, w3: Web3) -> Contract:
    return contracts.bind(w3, "LykosAccountFactory", chain.factory)


def eoa_guardian() -> Any:
    """A fresh EOA guardian key (eth_account LocalAccount)."""
    return Account.create()


def recovery_typed_data(
    *, account: str, chain_id: int, new_owners: Sequence[Passkey], nonce: int, valid_until: int
) -> dict[str, Any]:
    """The EIP-712 message a guardian signs, as a wallet (eth_signTypedData_v4) shows it."""
    return {
        "types": {
            "EIP712Domain": paymaster_data.EIP712_DOMAIN_TYPE,
            "Recovery": [
                {"name": "newOwners", "type": "PublicKey[]"},
                {"name": "nonce", "type": "uint256"},
                {"name": "validUntil", "type": "uint48"},
            ],
            "PublicKey": [{"name": "x", "type": "bytes32"}, {"name": "y", "type": "bytes32"}],
        },
        "primaryType": "Recovery",
        "domain": {"name": "LykosAccount", "version": "1", "chainId": chain_id, "verifyingContract": account},
        "message": {
            "newOwners": [{"x": p.key_tuple()[0], "y": p.key_tuple()[1]} for p in new_owners],
            "nonce": nonce,
            "validUntil": valid_until,
        },
    }


def increase_time(w3: Web3, seconds: int) -> None:
    """Move the chain clock forward (evm_increaseTime + evm_mine; never evm_revert, which wedges alto)."""
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def latest_timestamp(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def handle_ops_failure(wallet: Wallet, op: UserOperation) -> str:
    """Run EntryPoint.handleOps([op]) as an eth_call and return the FailedOp reason ("AA24 signature error", ...).

    This asks the real EntryPoint directly, so a refusal seen here comes from the account's validation and not
    from a bundler policy.
    """
    entry_point = contracts.bind(wallet.w3, "EntryPoint", wallet.chain.entry_point)
    beneficiary = wallet.chain.funded_keys[1].address
    try:
        entry_point.functions.handleOps([op.packed()], beneficiary).call({"from": beneficiary, "gas": 10_000_000})
    except ContractCustomError as exc:
        data = bytes.fromhex(str(exc.data)[2:])
        for signature, types in (
            ("FailedOp(uint256,string)", ["uint256", "string"]),
            ("FailedOpWithRevert(uint256,string,bytes)", ["uint256", "string", "bytes"]),
        ):
            if data[:4] == keccak(text=signature)[:4]:
                return str(decode(types, data[4:])[1])
        raise AssertionError(f"handleOps reverted with an unexpected error: {exc.data}") from exc
    raise AssertionError("handleOps accepted the operation")


def events(contract: Contract, user_op_receipt: dict[str, Any], name: str) -> list[Any]:
    """Decoded `name` events that `contract` emitted in the bundle transaction of a UserOperation receipt."""
    w3 = contract.w3
    tx_receipt = w3.eth.get_transaction_receipt(user_op_receipt["receipt"]["transactionHash"])
    return [
        e for e in contract.events[name]().process_receipt(tx_receipt, errors=DISCARD) if e.address == contract.address
    ]

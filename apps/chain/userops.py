"""ERC-4337 (EntryPoint v0.8) UserOperations for LykosAccount: build, pack, hash, sign-encode.

Framework-free and typed so the bundler client, the paymaster app and the tests share one implementation of the
byte-level rules (packing, the EIP-712 userOpHash, the ERC-7821 batch calldata, the WebAuthn signature layout the
account's verifier decodes). Sending is the bundler client's job (`apps.chain.clients.BundlerClient`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from apps.chain import values

_T = TypeVar("_T")

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

PACKED_USEROP_TYPEHASH = keccak(
    text="PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,"
    "uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData)"
)
_EIP712_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

#: ERC-7821 / ERC-7579 mode: call type batch (0x01), exec type default (revert on failure), no selector, no opData.
ERC7821_BATCH_MODE = bytes([1]) + bytes(31)
_EXECUTE_SELECTOR = function_signature_to_4byte_selector("execute(bytes32,bytes)")
_CREATE_ACCOUNT_SELECTOR = function_signature_to_4byte_selector("createAccount(bytes32,bytes32,uint256)")


@dataclass(frozen=True)
class Call:
    """One call of an ERC-7821 batch made by the account."""

    target: str
    value: int = 0
    data: bytes = b""


@dataclass(frozen=True)
class UserOperation:
    """A v0.7/v0.8 UserOperation in its unpacked (bundler JSON-RPC) form. Immutable: use `.replace(...)`."""

    sender: str
    nonce: int
    call_data: bytes
    factory: str | None = None
    factory_data: bytes = b""
    call_gas_limit: int = 0
    verification_gas_limit: int = 0
    pre_verification_gas: int = 0
    max_fee_per_gas: int = 0
    max_priority_fee_per_gas: int = 0
    signature: bytes = b""
    paymaster: str | None = None
    paymaster_verification_gas_limit: int = 0
    paymaster_post_op_gas_limit: int = 0
    paymaster_data: bytes = b""

    def replace(self, **changes: Any) -> UserOperation:
        return dataclasses.replace(self, **changes)

    @property
    def init_code(self) -> bytes:
        return _address_bytes(self.factory) + self.factory_data if self.factory else b""

    @property
    def account_gas_limits(self) -> bytes:
        return _u128(self.verification_gas_limit) + _u128(self.call_gas_limit)

    @property
    def gas_fees(self) -> bytes:
        return _u128(self.max_priority_fee_per_gas) + _u128(self.max_fee_per_gas)

    @property
    def paymaster_and_data(self) -> bytes:
        if not self.paymaster:
            return b""
        return (
            _address_bytes(self.paymaster)
            + _u128(self.paymaster_verification_gas_limit)
            + _u128(self.paymaster_post_op_gas_limit)
            + self.paymaster_data
        )

    def packed(self) -> tuple[str, int, bytes, bytes, bytes, int, bytes, bytes, bytes]:
        """The `PackedUserOperation` tuple as the EntryPoint ABI takes it (handleOps, getUserOpHash)."""
        return (
            to_checksum_address(self.sender),
            self.nonce,
            self.init_code,
            self.call_data,
            self.account_gas_limits,
            self.pre_verification_gas,
            self.gas_fees,
            self.paymaster_and_data,
            self.signature,
        )

    def to_rpc(self) -> dict[str, str]:
        """JSON for eth_sendUserOperation / eth_estimateUserOperationGas (0x-hex; factory fields only if set)."""
        op = {
            "sender": to_checksum_address(self.sender),
            "nonce": hex(self.nonce),
            "callData": _hex(self.call_data),
            "callGasLimit": hex(self.call_gas_limit),
            "verificationGasLimit": hex(self.verification_gas_limit),
            "preVerificationGas": hex(self.pre_verification_gas),
            "maxFeePerGas": hex(self.max_fee_per_gas),
            "maxPriorityFeePerGas": hex(self.max_priority_fee_per_gas),
            "signature": _hex(self.signature),
        }
        if self.factory:
            op["factory"] = to_checksum_address(self.factory)
            op["factoryData"] = _hex(self.factory_data)
        if self.paymaster:
            op["paymaster"] = to_checksum_address(self.paymaster)
            op["paymasterVerificationGasLimit"] = hex(self.paymaster_verification_gas_limit)
            op["paymasterPostOpGasLimit"] = hex(self.paymaster_post_op_gas_limit)
            op["paymasterData"] = _hex(self.paymaster_data)
        return op

    @classmethod
    def from_rpc(cls, op: Mapping[str, object]) -> UserOperation:
        """The inverse of `to_rpc` (what an ERC-7677 client or our own stored JSON holds), read by the rules of
        `apps.chain.values`. Missing gas fields count as 0: ERC-7677 stub requests may omit them. A value that
        breaks a rule raises `EvmValueError`, its message naming the field."""

        def parsed(key: str, parse: Callable[[object], _T]) -> _T:
            try:
                return parse(op.get(key))
            except values.EvmValueError as exc:
                raise values.EvmValueError(exc.code, f"{key}: {exc.message}") from exc

        def num(key: str, *, bits: int = 256) -> int:
            number = parsed(key, lambda v: 0 if v is None else values.quantity_parse(v))
            if number >= 1 << bits:
                raise values.EvmValueError(values.INVALID_QUANTITY, f"{key}: at most 2^{bits} - 1.")
            return number

        def raw(key: str) -> bytes:
            return parsed(key, lambda v: values.hex_bytes_parse(v, max_bytes=None))

        def address(key: str) -> str | None:
            return parsed(key, values.address_parse) if op.get(key) else None

        sender = parsed("sender", values.address_parse)
        factory, paymaster = address("factory"), address("paymaster")
        return cls(
            sender=sender,
            nonce=num("nonce"),
            call_data=raw("callData"),
            factory=factory,
            factory_data=raw("factoryData") if factory else b"",
            # Packed two to a word (accountGasLimits, gasFees, paymasterAndData): 128 bits each.
            call_gas_limit=num("callGasLimit", bits=128),
            verification_gas_limit=num("verificationGasLimit", bits=128),
            pre_verification_gas=num("preVerificationGas"),
            max_fee_per_gas=num("maxFeePerGas", bits=128),
            max_priority_fee_per_gas=num("maxPriorityFeePerGas", bits=128),
            signature=raw("signature"),
            paymaster=paymaster,
            paymaster_verification_gas_limit=num("paymasterVerificationGasLimit", bits=128),
            paymaster_post_op_gas_limit=num("paymasterPostOpGasLimit", bits=128),
            paymaster_data=raw("paymasterData") if paymaster else b"",
        )

    def max_cost(self) -> int:
        """The most this operation can cost: every gas limit at maxFeePerGas (what a prefund must cover)."""
        gas = (
            self.verification_gas_limit
            + self.call_gas_limit
            + self.pre_verification_gas
            + self.paymaster_verification_gas_limit
            + self.paymaster_post_op_gas_limit
        )
        return gas * self.max_fee_per_gas


def user_op_hash(op: UserOperation, *, entry_point: str, chain_id: int) -> bytes:
    """EntryPoint v0.8 userOpHash: the EIP-712 digest of the packed op (domain "ERC4337", "1", chain, entry point).

    Computed locally so signing needs no RPC round trip; tests check it against EntryPoint.getUserOpHash.
    (The EIP-7702 initCode override of v0.8 is not handled: our accounts are never 7702 delegates.)
    """
    struct_hash = keccak(
        encode(
            ["bytes32", "address", "uint256", "bytes32", "bytes32", "bytes32", "uint256", "bytes32", "bytes32"],
            [
                PACKED_USEROP_TYPEHASH,
                to_checksum_address(op.sender),
                op.nonce,
                keccak(op.init_code),
                keccak(op.call_data),
                op.account_gas_limits,
                op.pre_verification_gas,
                op.gas_fees,
                keccak(op.paymaster_and_data),
            ],
        )
    )
    domain = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [_EIP712_DOMAIN_TYPEHASH, keccak(text="ERC4337"), keccak(text="1"), chain_id, entry_point],
        )
    )
    return keccak(b"\x19\x01" + domain + struct_hash)


# --- LykosAccount calldata ------------------------------------------------------------------------------------


def encode_execute(calls: Sequence[Call]) -> bytes:
    """callData for LykosAccount.execute: one ERC-7821 batch (a single call is a batch of one)."""
    executions = [(to_checksum_address(c.target), c.value, c.data) for c in calls]
    execution_data = encode(["(address,uint256,bytes)[]"], [executions])
    return _EXECUTE_SELECTOR + encode(["bytes32", "bytes"], [ERC7821_BATCH_MODE, execution_data])


def encode_self_call(function: str, *args: bytes) -> bytes:
    """calldata for one of the account's own bytes32-argument functions (addOwner / removeOwner)."""
    selector = function_signature_to_4byte_selector(f"{function}({','.join(['bytes32'] * len(args))})")
    return selector + encode(["bytes32"] * len(args), list(args))


def decode_execute(call_data: bytes) -> list[Call]:
    """The calls of an `execute` batch (the inverse of encode_execute); ValueError for any other calldata."""
    if call_data[:4] != _EXECUTE_SELECTOR:
        raise ValueError("not an execute() call")
    # eth-abi's DecodingError is not a ValueError: calldata with junk after the selector (an outside client's
    # ERC-7677 request) would otherwise escape every caller's `except ValueError` as a server error.
    try:
        mode, execution_data = decode(["bytes32", "bytes"], call_data[4:])
        if mode != ERC7821_BATCH_MODE:
            raise ValueError("not a default-mode batch")
        (executions,) = decode(["(address,uint256,bytes)[]"], execution_data)
    except DecodingError as exc:
        raise ValueError(f"not an ABI-encoded execute() batch: {exc}") from exc
    return [Call(target=to_checksum_address(t), value=v, data=d) for t, v, d in executions]


def encode_create_account(qx: int, qy: int, salt: int) -> bytes:
    """factoryData for LykosAccountFactory.createAccount(bytes32 qx, bytes32 qy, uint256 salt)."""
    return _CREATE_ACCOUNT_SELECTOR + encode(["bytes32", "bytes32", "uint256"], [_b32(qx), _b32(qy), salt])


# --- signatures -----------------------------------------------------------------------------------------------


def passkey_signer(verifier: str, qx: int, qy: int) -> bytes:
    """ERC-7913 signer bytes of a passkey owner: verifier address ‖ x ‖ y (LykosAccount.ownerSigner)."""
    return _address_bytes(verifier) + _b32(qx) + _b32(qy)


def encode_webauthn_signature(
    *, authenticator_data: bytes, client_data_json: bytes, r: int, s: int, normalize_s: bool = True
) -> bytes:
    """A WebAuthn assertion in the layout OpenZeppelin's WebAuthn.tryDecodeAuth reads.

    `abi.encode(bytes32 r, bytes32 s, uint256 challengeIndex, uint256 typeIndex, bytes authenticatorData,
    string clientDataJSON)`. On-chain verification refuses s > n/2 (malleability) while authenticators emit either
    half, so s is normalised to n - s by default; `normalize_s=False` exists to prove the refusal in tests.
    """
    if normalize_s and s > P256_N // 2:
        s = P256_N - s
    challenge_index = client_data_json.find(b'"challenge":"')
    type_index = client_data_json.find(b'"type":"')
    if challenge_index < 0 or type_index < 0:
        raise ValueError("clientDataJSON lacks a challenge or type member")
    return encode(
        ["bytes32", "bytes32", "uint256", "uint256", "bytes", "string"],
        [_b32(r), _b32(s), challenge_index, type_index, authenticator_data, client_data_json.decode()],
    )


def encode_account_signature(*, signer: bytes, webauthn_signature: bytes) -> bytes:
    """UserOperation / ERC-1271 signature for LykosAccount: MultiSignerERC7913's abi.encode(bytes[], bytes[])."""
    return encode(["bytes[]", "bytes[]"], [[signer], [webauthn_signature]])


#: LykosAccount.MULTI_OP_SIGNATURE: a signature over the Merkle root of several userOpHashes (one per chain).
MULTI_OP_SIGNATURE = bytes.fromhex("4c594b4d")
#: LykosAccount.MAX_MULTI_OP_PROOF
MAX_MULTI_OP_PROOF = 8


def _commutative_keccak(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's Hashes.commutativeKeccak256: the pair sorted, so a proof needs no left/right flags."""
    return keccak(min(a, b) + max(a, b))


def merkle_tree(leaves: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The root of userOpHashes `leaves` and each leaf's proof, as LykosAccount recomputes them on-chain.

    Pairs are hashed with the commutative keccak; a level with an odd count carries its last node up unchanged.
    One leaf is its own root with an empty proof. Leaves must be distinct (a leaf twice would be signed once).
    """
    if not leaves or len(set(leaves)) != len(leaves) or any(len(leaf) != 32 for leaf in leaves):
        raise ValueError("merkle_tree needs distinct 32-byte leaves")
    proofs: list[list[bytes]] = [[] for _ in leaves]
    members: list[list[int]] = [[i] for i in range(len(leaves))]  # which leaves sit under each node
    level = list(leaves)
    while len(level) > 1:
        next_level, next_members = [], []
        for i in range(0, len(level), 2):
            if i + 1 == len(level):
                next_level.append(level[i])
                next_members.append(members[i])
                continue
            left, right = level[i], level[i + 1]
            for leaf in members[i]:
                proofs[leaf].append(right)
            for leaf in members[i + 1]:
                proofs[leaf].append(left)
            next_level.append(_commutative_keccak(left, right))
            next_members.append(members[i] + members[i + 1])
        level, members = next_level, next_members
    if any(len(proof) > MAX_MULTI_OP_PROOF for proof in proofs):
        raise ValueError("too many operations for one multi-operation signature")
    return level[0], proofs


def merkle_root_of(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """What the account computes from a leaf and its proof (tests use it to check `merkle_tree`)."""
    node = leaf
    for sibling in proof:
        node = _commutative_keccak(node, sibling)
    return node


def encode_multi_op_signature(*, proof: Sequence[bytes], account_signature: bytes) -> bytes:
    """A UserOperation signature whose owner signature is over a Merkle root: `MULTI_OP_SIGNATURE ‖ uint8 n ‖
    proof ‖ account signature`. With an empty proof the root is the userOpHash itself, and the ordinary format is
    used instead (it is shorter)."""
    if not proof:
        return account_signature
    if len(proof) > MAX_MULTI_OP_PROOF:
        raise ValueError("proof too deep")
    return MULTI_OP_SIGNATURE + bytes([len(proof)]) + b"".join(proof) + account_signature


def dummy_account_signature(*, signer: bytes, origin: str = "http://localhost:8000") -> bytes:
    """A well-formed signature of the real size for gas estimation (the bundler refuses empty ones, AA23).

    It cannot verify, and because the challenge is not the userOpHash, the account stops before the P-256 check:
    the estimated verification gas misses that cost. Add `verification_gas_margin(...)` to the estimate.
    """
    client_data = json.dumps(
        {"type": "webauthn.get", "challenge": "A" * 43, "origin": origin, "crossOrigin": False},
        separators=(",", ":"),
    ).encode()
    authenticator_data = bytes(range(1, 33)) + bytes([0x05]) + (1).to_bytes(4, "big")
    webauthn = encode_webauthn_signature(
        authenticator_data=authenticator_data,
        client_data_json=client_data,
        r=P256_N // 3,
        s=P256_N // 5,
    )
    return encode_account_signature(signer=signer, webauthn_signature=webauthn)


#: Verification gas the estimate misses with a dummy signature (see dummy_account_signature), measured on anvil
#: with OpenZeppelin 5.7 and rounded up: the RIP-7212 precompile path, and the pure-Solidity P-256 fallback.
VERIFICATION_MARGIN_WITH_PRECOMPILE = 30_000
VERIFICATION_MARGIN_WITHOUT_PRECOMPILE = 400_000


def verification_gas_margin(*, p256_precompile: bool) -> int:
    return VERIFICATION_MARGIN_WITH_PRECOMPILE if p256_precompile else VERIFICATION_MARGIN_WITHOUT_PRECOMPILE


# --- helpers --------------------------------------------------------------------------------------------------


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _u128(value: int) -> bytes:
    return value.to_bytes(16, "big")


def _address_bytes(address: str) -> bytes:
    raw = bytes.fromhex(address.removeprefix("0x"))
    if len(raw) != 20:
        raise ValueError(f"not an address: {address}")
    return raw

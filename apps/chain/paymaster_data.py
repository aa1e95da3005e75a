"""LykosPaymaster (EntryPoint v0.8 verifying paymaster): the paymasterData layout and the signer's signature.

Framework-free and typed: the Django paymaster service (which holds the signer key encrypted and passes the raw key
bytes in), the ERC-7677 endpoint and the tests share these byte-level rules.

`paymasterData = validAfter (6 bytes) ‖ validUntil (6 bytes) ‖ signature (65 bytes, r ‖ s ‖ v)`; the signature is
the signer's ECDSA signature over the EIP-712 digest of OpenZeppelin 5.7 PaymasterSigner's `UserOperationRequest`
(domain "LykosPaymaster", "1", chain id, the paymaster). That struct covers the op's gas fields, fees and the
paymaster gas limits, so the order of work is:

1. fill the op with `paymaster`, its gas limits and `dummy_paymaster_data()` (and the account's dummy signature),
2. estimate gas with the bundler and copy the estimates in,
3. `sign_paymaster_data(...)` over the final op (set the result as `paymaster_data`),
4. only then compute the userOpHash (it covers paymasterAndData) and have the account sign it.

Anything changed after step 3 (a gas field, the fees, the calldata) makes the EntryPoint refuse the op with
"AA34 signature error"; a window that does not contain the block time with "AA32 paymaster expired or not due".
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from apps.chain.userops import UserOperation

PAYMASTER_NAME = "LykosPaymaster"
PAYMASTER_VERSION = "1"

USER_OPERATION_REQUEST_TYPE = (
    "UserOperationRequest(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,"
    "uint256 preVerificationGas,bytes32 gasFees,uint256 paymasterVerificationGasLimit,uint256 paymasterPostOpGasLimit,"
    "uint48 validAfter,uint48 validUntil)"
)
USER_OPERATION_REQUEST_TYPEHASH = keccak(text=USER_OPERATION_REQUEST_TYPE)
_EIP712_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

SIGNATURE_LENGTH = 65
#: validAfter (6) + validUntil (6) + signature (65).
PAYMASTER_DATA_LENGTH = 6 + 6 + SIGNATURE_LENGTH
MAX_UINT48 = 2**48 - 1

#: Gas limits to put in a sponsored op for LykosPaymaster. Validation (EIP-712 hash over initCode and callData, one
#: ecrecover, one storage read) measured ~13k on anvil for a small op (alto estimates ~31k); the hashing grows with
#: calldata, so the limit leaves room. It is a cap the paymaster's deposit must cover, not a charge: unused
#: verification gas is not billed. postOp is never called (the paymaster returns an empty context): limit 0.
PAYMASTER_VERIFICATION_GAS_LIMIT = 60_000
PAYMASTER_POST_OP_GAS_LIMIT = 0

# A 65-byte signature that is well formed (low s, v = 27) but recovers nobody: no curve point has x = 5
# (5^3 + 7 is not a square mod p), so ecrecover returns 0 after the same work as for a real signature.
_DUMMY_SIGNATURE = (5).to_bytes(32, "big") + (1).to_bytes(32, "big") + bytes([27])


class PaymasterDataError(ValueError):
    """paymasterData or its inputs are malformed (window out of uint48 range, wrong signature length, ...)."""


def paymaster_data(*, valid_after: int, valid_until: int, signature: bytes) -> bytes:
    """`validAfter (6 B) ‖ validUntil (6 B) ‖ signature`, the layout PaymasterSigner decodes.

    `valid_until = 0` means "no expiry" to the EntryPoint; `valid_after = 0` "valid at once".
    """
    _check_window(valid_after, valid_until)
    if len(signature) != SIGNATURE_LENGTH:
        raise PaymasterDataError(f"paymaster signature must be {SIGNATURE_LENGTH} bytes, got {len(signature)}")
    return valid_after.to_bytes(6, "big") + valid_until.to_bytes(6, "big") + signature


def decode_paymaster_data(data: bytes) -> tuple[int, int, bytes]:
    """(valid_after, valid_until, signature) from paymasterData."""
    if len(data) != PAYMASTER_DATA_LENGTH:
        raise PaymasterDataError(f"paymasterData must be {PAYMASTER_DATA_LENGTH} bytes, got {len(data)}")
    return int.from_bytes(data[:6], "big"), int.from_bytes(data[6:12], "big"), data[12:]


def dummy_paymaster_data(*, valid_after: int = 0, valid_until: int = 0) -> bytes:
    """Well-formed paymasterData of the real length for gas estimation (pm_getPaymasterStubData).

    Its signature recovers nobody, so validation reports a signature failure (which estimation tolerates) after
    doing the same work as a real one; the real length keeps the bundler's calldata charge (preVerificationGas) right.
    """
    return paymaster_data(valid_after=valid_after, valid_until=valid_until, signature=_DUMMY_SIGNATURE)


def paymaster_struct_hash(op: UserOperation, *, valid_after: int, valid_until: int) -> bytes:
    """hashStruct(UserOperationRequest) of `op` (its paymasterData and signature are not covered)."""
    _check_window(valid_after, valid_until)
    return keccak(
        encode(
            [
                "bytes32",
                "address",
                "uint256",
                "bytes32",
                "bytes32",
                "bytes32",
                "uint256",
                "bytes32",
                "uint256",
                "uint256",
                "uint48",
                "uint48",
            ],
            [
                USER_OPERATION_REQUEST_TYPEHASH,
                to_checksum_address(op.sender),
                op.nonce,
                keccak(op.init_code),
                keccak(op.call_data),
                op.account_gas_limits,
                op.pre_verification_gas,
                op.gas_fees,
                op.paymaster_verification_gas_limit,
                op.paymaster_post_op_gas_limit,
                valid_after,
                valid_until,
            ],
        )
    )


def paymaster_domain_separator(*, paymaster: str, chain_id: int) -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _EIP712_DOMAIN_TYPEHASH,
                keccak(text=PAYMASTER_NAME),
                keccak(text=PAYMASTER_VERSION),
                chain_id,
                to_checksum_address(paymaster),
            ],
        )
    )


def paymaster_typed_data_hash(
    op: UserOperation, *, paymaster: str, chain_id: int, valid_after: int, valid_until: int
) -> bytes:
    """The EIP-712 digest LykosPaymaster verifies (equal to its `getHash(packedOp, validAfter, validUntil)`)."""
    return keccak(
        b"\x19\x01"
        + paymaster_domain_separator(paymaster=paymaster, chain_id=chain_id)
        + paymaster_struct_hash(op, valid_after=valid_after, valid_until=valid_until)
    )


#: The EIP-712 domain fields our contracts use (name, version, chainId, verifyingContract), as typed-data JSON.
EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def paymaster_typed_data(
    op: UserOperation, *, paymaster: str, chain_id: int, valid_after: int, valid_until: int
) -> dict[str, Any]:
    """The same message as eth_signTypedData_v4 JSON (for a KMS/HSM or wallet that signs typed data itself)."""
    return {
        "types": {
            "EIP712Domain": EIP712_DOMAIN_TYPE,
            "UserOperationRequest": [
                {"name": "sender", "type": "address"},
                {"name": "nonce", "type": "uint256"},
                {"name": "initCode", "type": "bytes"},
                {"name": "callData", "type": "bytes"},
                {"name": "accountGasLimits", "type": "bytes32"},
                {"name": "preVerificationGas", "type": "uint256"},
                {"name": "gasFees", "type": "bytes32"},
                {"name": "paymasterVerificationGasLimit", "type": "uint256"},
                {"name": "paymasterPostOpGasLimit", "type": "uint256"},
                {"name": "validAfter", "type": "uint48"},
                {"name": "validUntil", "type": "uint48"},
            ],
        },
        "primaryType": "UserOperationRequest",
        "domain": {
            "name": PAYMASTER_NAME,
            "version": PAYMASTER_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(paymaster),
        },
        "message": {
            "sender": to_checksum_address(op.sender),
            "nonce": op.nonce,
            "initCode": op.init_code,
            "callData": op.call_data,
            "accountGasLimits": op.account_gas_limits,
            "preVerificationGas": op.pre_verification_gas,
            "gasFees": op.gas_fees,
            "paymasterVerificationGasLimit": op.paymaster_verification_gas_limit,
            "paymasterPostOpGasLimit": op.paymaster_post_op_gas_limit,
            "validAfter": valid_after,
            "validUntil": valid_until,
        },
    }


def sign_paymaster_data(
    op: UserOperation,
    *,
    paymaster: str,
    chain_id: int,
    valid_after: int,
    valid_until: int,
    private_key: bytes,
) -> bytes:
    """Full paymasterData for `op`, signed by the paymaster's signer key (32 raw bytes).

    Call it on the final op: gas fields, fees and paymaster gas limits already set (see the module docstring).
    """
    if len(private_key) != 32:
        raise PaymasterDataError("private_key must be the 32 raw bytes of a secp256k1 key")
    digest = paymaster_typed_data_hash(
        op, paymaster=paymaster, chain_id=chain_id, valid_after=valid_after, valid_until=valid_until
    )
    signed = Account.unsafe_sign_hash(digest, private_key)
    signature = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
    return paymaster_data(valid_after=valid_after, valid_until=valid_until, signature=signature)


def with_paymaster(
    op: UserOperation,
    *,
    paymaster: str,
    verification_gas_limit: int = PAYMASTER_VERIFICATION_GAS_LIMIT,
    post_op_gas_limit: int = PAYMASTER_POST_OP_GAS_LIMIT,
    valid_after: int = 0,
    valid_until: int = 0,
) -> UserOperation:
    """`op` with the paymaster fields set and dummy paymasterData: ready for eth_estimateUserOperationGas."""
    return op.replace(
        paymaster=to_checksum_address(paymaster),
        paymaster_verification_gas_limit=verification_gas_limit,
        paymaster_post_op_gas_limit=post_op_gas_limit,
        paymaster_data=dummy_paymaster_data(valid_after=valid_after, valid_until=valid_until),
    )


def _check_window(valid_after: int, valid_until: int) -> None:
    for name, value in (("valid_after", valid_after), ("valid_until", valid_until)):
        if not 0 <= value <= MAX_UINT48:
            raise PaymasterDataError(f"{name} must fit in uint48, got {value}")
    # Block-number ranges (the top bit, ERC4337Utils.BLOCK_RANGE_FLAG) are not used by this backend.
    if (valid_after | valid_until) >> 47:
        raise PaymasterDataError("validAfter/validUntil with the block-range flag are not supported")

"""Typed chain and bundler errors. Bundler JSON-RPC codes follow ERC-7769; AAxx reasons come from the EntryPoint."""

from __future__ import annotations

import re
from typing import Any

from apps.chain import values
from lykos.errors import DependencyUnavailable, InvalidRequest, RuleRefused

_AA_CODE = re.compile(r"\b(AA\d\d)\b")


class ChainUnavailable(DependencyUnavailable):
    code = "chain_unavailable"
    default_message = "The chain's node did not answer; retry later."


class BundlerUnavailable(DependencyUnavailable):
    code = "bundler_unavailable"
    default_message = "The bundler did not answer; retry later."


class BundlerError(RuleRefused):
    """The bundler answered with an error. `rpc_code` is the JSON-RPC code, `aa_code` the EntryPoint reason."""

    code = "bundler_rejected"
    rpc_codes: tuple[int, ...] = ()

    def __init__(self, message: str, *, rpc_code: int, data: Any = None) -> None:
        self.rpc_code = rpc_code
        self.data = data
        match = _AA_CODE.search(message or "")
        self.aa_code = match.group(1) if match else None
        super().__init__(message, details={"rpc_code": rpc_code, "aa_code": self.aa_code})


class InvalidUserOperation(BundlerError):
    code = "user_operation_invalid"
    rpc_codes = (-32602,)


class RejectedByAccount(BundlerError):
    code = "user_operation_rejected"
    rpc_codes = (-32500,)


class RejectedByPaymaster(BundlerError):
    code = "paymaster_rejected"
    rpc_codes = (-32501,)


class BannedOpcode(BundlerError):
    code = "banned_opcode"
    rpc_codes = (-32502,)


class OutOfTimeRange(BundlerError):
    code = "user_operation_expired"
    rpc_codes = (-32503,)


class ThrottledEntity(BundlerError):
    code = "entity_throttled"
    rpc_codes = (-32504,)


class StakeTooLow(BundlerError):
    code = "stake_too_low"
    rpc_codes = (-32505,)


class UnsupportedAggregator(BundlerError):
    code = "unsupported_aggregator"
    rpc_codes = (-32506,)


class InvalidSignature(BundlerError):
    """Not `invalid_signature`: that code is a passkey assertion that does not verify (400), refused before any
    operation reaches a bundler."""

    code = "user_operation_signature_invalid"
    rpc_codes = (-32507,)


class PaymasterDepositTooLow(BundlerError):
    code = "paymaster_deposit_too_low"
    rpc_codes = (-32508,)


class ExecutionReverted(BundlerError):
    """The operation's calls revert when simulated (e.g. sending more than the account holds)."""

    code = "execution_reverted"
    rpc_codes = (-32521,)


#: Every refusal a bundler's error answer becomes (`bundler_error`); the base stands for codes ERC-7769 does not name.
BUNDLER_ERRORS: tuple[type[BundlerError], ...] = (
    BundlerError,
    InvalidUserOperation,
    RejectedByAccount,
    RejectedByPaymaster,
    BannedOpcode,
    OutOfTimeRange,
    ThrottledEntity,
    StakeTooLow,
    UnsupportedAggregator,
    InvalidSignature,
    PaymasterDepositTooLow,
    ExecutionReverted,
)
_BY_CODE = {code: cls for cls in BUNDLER_ERRORS for code in cls.rpc_codes}


def bundler_error(*, rpc_code: int, message: str, data: Any = None) -> BundlerError:
    return _BY_CODE.get(rpc_code, BundlerError)(message, rpc_code=rpc_code, data=data)


# --- EVM values that break the rules of apps.chain.values, where a refusal names its own code -----------------


class InvalidAddress(InvalidRequest):
    code = values.INVALID_ADDRESS
    default_message = "Not an address."


class InvalidAmount(InvalidRequest):
    code = values.INVALID_AMOUNT
    default_message = "Amounts are integers in base units, as a decimal string."


class InvalidCalldata(InvalidRequest):
    code = values.INVALID_CALLDATA
    default_message = "Calldata is 0x-prefixed hex with whole bytes."


class InvalidHexBytes(InvalidRequest):
    code = values.INVALID_HEX
    default_message = "Expected 0x-prefixed hex with whole bytes."


class InvalidHash(InvalidRequest):
    code = values.INVALID_HASH
    default_message = "Expected 0x and 64 hex digits."


class InvalidQuantity(InvalidRequest):
    code = values.INVALID_QUANTITY
    default_message = "A quantity is 0x-hex."


class InvalidChainId(InvalidRequest):
    code = values.INVALID_CHAIN_ID
    default_message = "A chain id is a positive integer."


EVM_VALUE_ERRORS: tuple[type[InvalidRequest], ...] = (
    InvalidAddress,
    InvalidAmount,
    InvalidCalldata,
    InvalidHexBytes,
    InvalidHash,
    InvalidQuantity,
    InvalidChainId,
)
_EVM_BY_CODE = {cls.code: cls for cls in EVM_VALUE_ERRORS}


def evm_value_refused(error: values.EvmValueError, *, field: str) -> InvalidRequest:
    """The API refusal for a value a service parsed itself (a serializer field reports through DRF instead):
    the rule's own code at the top, and the field it was found in, as a serializer would name it."""
    return _EVM_BY_CODE[error.code](error.message, details={"fields": {field: [error.message]}})

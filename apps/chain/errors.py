"""Typed chain and bundler errors. Bundler JSON-RPC codes follow ERC-7769; AAxx reasons come from the EntryPoint."""

from __future__ import annotations

import re
from typing import Any

from lykos.errors import DependencyUnavailable, RuleRefused

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

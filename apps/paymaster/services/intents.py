"""What a client may ask for, validated into the calls the account will make."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from apps.chain import values
from apps.chain.errors import evm_value_refused
from apps.chain.userops import Call
from lykos.errors import InvalidRequest

_T = TypeVar("_T")

MAX_CALLS = 16
ERC20_TRANSFER = function_signature_to_4byte_selector("transfer(address,uint256)")
NATIVE = "native"


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, details={"fields": {field: [message]}})


def _parsed(parse: Callable[[object], _T], value: object, field: str) -> _T:
    """One value by its `apps.chain.values` rule; a refusal names the rule's code and the field."""
    try:
        return parse(value)
    except values.EvmValueError as exc:
        raise evm_value_refused(exc, field=field) from exc


def _positive(value: object) -> int:
    return values.uint256_parse(value, allow_zero=False)


def intent_calls(intent: dict[str, Any]) -> tuple[list[Call], dict[str, Any]]:
    """Validate an intent; return the calls and the normalised intent that is stored and shown."""
    has_calls, has_transfer = "calls" in intent, "transfer" in intent
    if has_calls == has_transfer:
        raise InvalidRequest("Give either `calls` or `transfer`.", details={"fields": {"intent": ["one_of"]}})
    if has_transfer:
        transfer = intent["transfer"]
        if not isinstance(transfer, dict):
            raise _invalid("transfer", "Expected an object {token, amount, to}.")
        to = _parsed(values.address_parse, transfer.get("to"), "transfer.to")
        amount = _parsed(_positive, transfer.get("amount"), "transfer.amount")
        token = transfer.get("token", NATIVE)
        if token == NATIVE:
            return [Call(target=to, value=amount)], {"transfer": {"token": NATIVE, "amount": str(amount), "to": to}}
        token = _parsed(values.address_parse, token, "transfer.token")
        data = ERC20_TRANSFER + encode(["address", "uint256"], [to, amount])
        return [Call(target=token, data=data)], {"transfer": {"token": token, "amount": str(amount), "to": to}}
    raw_calls = intent["calls"]
    if not isinstance(raw_calls, list) or not 1 <= len(raw_calls) <= MAX_CALLS:
        raise _invalid("calls", f"Give 1 to {MAX_CALLS} calls.")
    calls, normalised = [], []
    for i, raw in enumerate(raw_calls):
        if not isinstance(raw, dict):
            raise _invalid(f"calls[{i}]", "Expected an object {to, value, data}.")
        to = _parsed(values.address_parse, raw.get("to"), f"calls[{i}].to")
        value = _parsed(values.uint256_parse, raw.get("value", "0"), f"calls[{i}].value")
        data = _parsed(values.calldata_parse, raw.get("data"), f"calls[{i}].data")
        calls.append(Call(target=to, value=value, data=data))
        normalised.append({"to": to, "value": str(value), "data": "0x" + data.hex()})
    return calls, {"calls": normalised}


def call_selector(call: Call) -> str | None:
    return "0x" + call.data[:4].hex() if len(call.data) >= 4 else None


def erc20_transfer_of(call: Call) -> tuple[str, int] | None:
    """(token, amount) when the call is an ERC-20 transfer, for balance checks."""
    if call.data[:4] != ERC20_TRANSFER or len(call.data) != 68:
        return None
    return call.target, int.from_bytes(call.data[36:68], "big")

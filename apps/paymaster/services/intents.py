"""What a client may ask for, validated into the calls the account will make."""

from __future__ import annotations

import re
from typing import Any

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, is_checksum_address, is_hex_address, to_checksum_address

from apps.chain.userops import Call
from apps.paymaster.errors import InvalidAddress, InvalidAmount, InvalidCalldata
from lykos.errors import InvalidRequest

UINT256_MAX = 2**256 - 1
MAX_CALLS = 16
MAX_CALLDATA_BYTES = 32 * 1024
_HEX = re.compile(r"^0x([0-9a-fA-F]{2})*$")
ERC20_TRANSFER = function_signature_to_4byte_selector("transfer(address,uint256)")
NATIVE = "native"


def _invalid(field: str, message: str, error: type[InvalidRequest] = InvalidRequest) -> InvalidRequest:
    return error(message, details={"fields": {field: [message]}})


def parse_address(value: Any, field: str) -> str:
    """EIP-55: mixed case must carry a valid checksum; all-lower/upper is accepted and checksummed."""
    if not isinstance(value, str) or not is_hex_address(value):
        raise _invalid(field, "Not an address.", InvalidAddress)
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise _invalid(field, "Address checksum (EIP-55) does not match.", InvalidAddress)
    return to_checksum_address(value)


def parse_amount(value: Any, field: str, *, allow_zero: bool = False) -> int:
    """Base units as a decimal string (or an integer): never floats, never negative, at most uint256."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(field, "Amounts are integers in base units, as a decimal string.", InvalidAmount)
    text = str(value)
    if not text.isdigit():
        raise _invalid(field, "Amounts are integers in base units, as a decimal string.", InvalidAmount)
    amount = int(text)
    if amount > UINT256_MAX or (amount == 0 and not allow_zero):
        raise _invalid(field, "Amount must be positive and fit in uint256.", InvalidAmount)
    return amount


def parse_calldata(value: Any, field: str) -> bytes:
    if value in (None, "", "0x"):
        return b""
    if not isinstance(value, str) or not _HEX.match(value):
        raise _invalid(field, "Calldata is 0x-prefixed hex with whole bytes.", InvalidCalldata)
    data = bytes.fromhex(value[2:])
    if len(data) > MAX_CALLDATA_BYTES:
        raise _invalid(field, "Calldata is too large.", InvalidCalldata)
    return data


def intent_calls(intent: dict[str, Any]) -> tuple[list[Call], dict[str, Any]]:
    """Validate an intent; return the calls and the normalised intent that is stored and shown."""
    has_calls, has_transfer = "calls" in intent, "transfer" in intent
    if has_calls == has_transfer:
        raise InvalidRequest("Give either `calls` or `transfer`.", details={"fields": {"intent": ["one_of"]}})
    if has_transfer:
        transfer = intent["transfer"]
        if not isinstance(transfer, dict):
            raise _invalid("transfer", "Expected an object {token, amount, to}.")
        to = parse_address(transfer.get("to"), "transfer.to")
        amount = parse_amount(transfer.get("amount"), "transfer.amount")
        token = transfer.get("token", NATIVE)
        if token == NATIVE:
            return [Call(target=to, value=amount)], {"transfer": {"token": NATIVE, "amount": str(amount), "to": to}}
        token = parse_address(token, "transfer.token")
        data = ERC20_TRANSFER + encode(["address", "uint256"], [to, amount])
        return [Call(target=token, data=data)], {"transfer": {"token": token, "amount": str(amount), "to": to}}
    raw_calls = intent["calls"]
    if not isinstance(raw_calls, list) or not 1 <= len(raw_calls) <= MAX_CALLS:
        raise _invalid("calls", f"Give 1 to {MAX_CALLS} calls.")
    calls, normalised = [], []
    for i, raw in enumerate(raw_calls):
        if not isinstance(raw, dict):
            raise _invalid(f"calls[{i}]", "Expected an object {to, value, data}.")
        to = parse_address(raw.get("to"), f"calls[{i}].to")
        value = parse_amount(raw.get("value", "0"), f"calls[{i}].value", allow_zero=True)
        data = parse_calldata(raw.get("data"), f"calls[{i}].data")
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

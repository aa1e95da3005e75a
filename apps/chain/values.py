"""The rules for EVM values that enter from outside: one place says what an address, an amount, calldata, a
bytes32 and a chain id look like, for the API's serializer fields, the models' fields and the ERC-7677 decoder.

Each parser takes what JSON can carry and returns the canonical Python value, or raises `EvmValueError` with a
stable `code` (what the API reports) and a message a person can act on. The checks are strict on purpose:
`str.isdigit()` accepts "²" and `int(x, 0)` accepts "0b1" and "1_000", so digits are matched by pattern.
"""

from __future__ import annotations

import re
from typing import Any

from eth_utils import is_checksum_address, to_checksum_address

UINT256_MAX = 2**256 - 1
# EIP-2294: the largest chain id every client can sign for (so that v = chainId * 2 + 36 fits in 64 bits).
CHAIN_ID_MAX = (2**64 - 1) // 2 - 36
MAX_CALLDATA_BYTES = 32 * 1024

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
UINT256_PATTERN = r"^(0|[1-9][0-9]{0,77})$"
HEX_BYTES_PATTERN = r"^0x([0-9a-fA-F]{2})*$"
BYTES32_PATTERN = r"^0x[0-9a-fA-F]{64}$"
_ADDRESS = re.compile(ADDRESS_PATTERN)
_UINT = re.compile(UINT256_PATTERN)
_HEX = re.compile(HEX_BYTES_PATTERN)
_BYTES32 = re.compile(BYTES32_PATTERN)


class EvmValueError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def address_parse(value: Any) -> str:
    """EIP-55: mixed case must carry a valid checksum; all-lower or all-upper is accepted. Returns checksummed."""
    if not isinstance(value, str) or not _ADDRESS.match(value):
        raise EvmValueError("invalid_address", "Not an address (0x and 40 hex digits).")
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise EvmValueError("invalid_address", "Address checksum (EIP-55) does not match.")
    return to_checksum_address(value)


def uint256_parse(value: Any, *, allow_zero: bool = True) -> int:
    """A uint256 as a decimal string (JSON numbers lose precision past 2^53, so an int is accepted only as
    what a Python caller passes). Never a float, a bool, a sign, a leading zero or a non-ASCII digit."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EvmValueError("invalid_amount", "Amounts are integers in base units, as a decimal string.")
    text = str(value)
    if not _UINT.match(text):
        raise EvmValueError("invalid_amount", "Amounts are integers in base units, as a decimal string.")
    amount = int(text)
    if amount > UINT256_MAX:
        raise EvmValueError("invalid_amount", "Amount must fit in uint256.")
    if amount == 0 and not allow_zero:
        raise EvmValueError("invalid_amount", "Amount must be positive.")
    return amount


def hex_bytes_parse(value: Any, *, max_bytes: int = MAX_CALLDATA_BYTES, empty_ok: bool = True) -> bytes:
    """0x-prefixed hex with whole bytes (`0x` is empty)."""
    if value is None and empty_ok:
        return b""
    if not isinstance(value, str) or not _HEX.match(value):
        raise EvmValueError("invalid_hex", "Expected 0x-prefixed hex with whole bytes.")
    data = bytes.fromhex(value[2:])
    if len(data) > max_bytes:
        raise EvmValueError("invalid_hex", f"At most {max_bytes} bytes.")
    if not data and not empty_ok:
        raise EvmValueError("invalid_hex", "Must not be empty.")
    return data


def bytes32_parse(value: Any) -> str:
    """A 32-byte hash as 0x + 64 hex digits, returned lower-case (how hashes are stored and compared)."""
    if not isinstance(value, str) or not _BYTES32.match(value):
        raise EvmValueError("invalid_hash", "Expected 0x and 64 hex digits.")
    return value.lower()


def chain_id_parse(value: Any) -> int:
    """A chain id as a JSON integer (or its decimal string), 1..CHAIN_ID_MAX."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise EvmValueError("invalid_chain_id", "A chain id is a positive integer.")
    text = str(value)
    if not _UINT.match(text) or not 1 <= int(text) <= CHAIN_ID_MAX:
        raise EvmValueError("invalid_chain_id", f"A chain id is an integer from 1 to {CHAIN_ID_MAX}.")
    return int(text)

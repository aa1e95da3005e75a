"""The rules for EVM values that enter from outside: one place says what an address, an amount, calldata, a
bytes32, a JSON-RPC quantity and a chain id look like, for the API's serializer fields, the models' fields, the
intents, the ERC-7677 decoder and the typed data a user is asked to sign.

Each parser takes what JSON can carry and returns the canonical Python value, or raises `EvmValueError` with a
stable `code` (what the API reports, see `apps.chain.errors`) and a message a person can act on. The checks are
strict on purpose: `str.isdigit()` accepts "²" (which `int()` then refuses), `int()` accepts "٣", " 7", "1_000"
and "+1", and `int(x, 0)` adds "0b1"; so digits are matched by ASCII patterns over the whole string (`fullmatch`:
a `$` alone would let a trailing newline through), and an int is never taken from a bool or a float.
"""

from __future__ import annotations

import re
from typing import TypeGuard

from eth_utils import is_checksum_address, to_checksum_address

UINT256_MAX = 2**256 - 1
# EIP-2294: the largest chain id every client can sign for (so that v = chainId * 2 + 36 fits in 64 bits).
CHAIN_ID_MAX = (2**64 - 1) // 2 - 36
MAX_CALLDATA_BYTES = 32 * 1024

# The codes a refusal carries; the API's error classes (apps.chain.errors) take theirs from here.
INVALID_ADDRESS = "invalid_address"
INVALID_AMOUNT = "invalid_amount"
INVALID_CALLDATA = "invalid_calldata"
INVALID_HEX = "invalid_hex"
INVALID_HASH = "invalid_hash"
INVALID_QUANTITY = "invalid_quantity"
INVALID_CHAIN_ID = "invalid_chain_id"

# The same patterns go into the OpenAPI schema and the PostgreSQL CHECKs (whose `$` is the end of the string).
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
UINT256_PATTERN = r"^(0|[1-9][0-9]{0,77})$"
POSITIVE_UINT256_PATTERN = r"^[1-9][0-9]{0,77}$"
# A JSON-RPC QUANTITY as clients write it; leading zeros are tolerated (the spec forbids them, some clients don't).
QUANTITY_PATTERN = r"^0x[0-9a-fA-F]{1,64}$"
HEX_BYTES_PATTERN = r"^0x([0-9a-fA-F]{2})*$"
BYTES32_PATTERN = r"^0x[0-9a-fA-F]{64}$"
_ADDRESS = re.compile(ADDRESS_PATTERN)
_UINT = re.compile(UINT256_PATTERN)
_QUANTITY = re.compile(QUANTITY_PATTERN)
_HEX = re.compile(HEX_BYTES_PATTERN)
_BYTES32 = re.compile(BYTES32_PATTERN)

_AMOUNT_FORM = "Amounts are integers in base units, as a decimal string."


class EvmValueError(ValueError):
    """A value that breaks one of these rules. A ValueError, so code that already treats bad input as one keeps
    working; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def _is_int(value: object) -> TypeGuard[int]:
    """An int that is not a bool (True is an int to Python, never an amount to us)."""
    return isinstance(value, int) and not isinstance(value, bool)


def address_parse(value: object) -> str:
    """EIP-55: mixed case must carry a valid checksum; all-lower or all-upper is accepted. Returns checksummed."""
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise EvmValueError(INVALID_ADDRESS, "Not an address (0x and 40 hex digits).")
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise EvmValueError(INVALID_ADDRESS, "Address checksum (EIP-55) does not match.")
    return to_checksum_address(value)


def uint256_parse(value: object, *, allow_zero: bool = True) -> int:
    """A uint256 as a decimal string (JSON numbers lose precision past 2^53 in most clients, so an int is accepted
    as what a Python caller or a small JSON number gives). Never a float, a bool, a sign, a leading zero, spaces,
    underscores or a non-ASCII digit."""
    if _is_int(value):
        amount = value
    elif isinstance(value, str) and _UINT.fullmatch(value):
        amount = int(value)
    else:
        raise EvmValueError(INVALID_AMOUNT, _AMOUNT_FORM)
    if not 0 <= amount <= UINT256_MAX:
        raise EvmValueError(INVALID_AMOUNT, "Amount must be between 0 and 2^256 - 1.")
    if amount == 0 and not allow_zero:
        raise EvmValueError(INVALID_AMOUNT, "Amount must be positive.")
    return amount


def quantity_parse(value: object) -> int:
    """A JSON-RPC QUANTITY (0x-hex, at most uint256), as UserOperations and ERC-7677 params carry numbers. A JSON
    integer is accepted too: some clients send small numbers that way."""
    if _is_int(value):
        number = value
        if not 0 <= number <= UINT256_MAX:
            raise EvmValueError(INVALID_QUANTITY, "A quantity is between 0 and 2^256 - 1.")
        return number
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise EvmValueError(INVALID_QUANTITY, "A quantity is 0x and 1 to 64 hex digits.")
    return int(value, 16)


def typed_data_uint_parse(value: object) -> int:
    """A uint in EIP-712 typed data (eth_signTypedData_v4 JSON): a number, a decimal string or a 0x-hex string,
    as wallets and dapps write them."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return quantity_parse(value)
        except EvmValueError as exc:
            raise EvmValueError(INVALID_AMOUNT, exc.message) from exc
    return uint256_parse(value)


def _hex_bytes(value: object, *, code: str, max_bytes: int | None, empty_ok: bool) -> bytes:
    if value is None and empty_ok:
        return b""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise EvmValueError(code, "Expected 0x-prefixed hex with whole bytes.")
    data = bytes.fromhex(value[2:])
    if max_bytes is not None and len(data) > max_bytes:
        raise EvmValueError(code, f"At most {max_bytes} bytes.")
    if not data and not empty_ok:
        raise EvmValueError(code, "Must not be empty.")
    return data


def hex_bytes_parse(value: object, *, max_bytes: int | None = MAX_CALLDATA_BYTES, empty_ok: bool = True) -> bytes:
    """0x-prefixed hex with whole bytes (`0x` is empty; an absent value, None, is empty when `empty_ok`).
    `max_bytes=None`: no limit beyond the request body's."""
    return _hex_bytes(value, code=INVALID_HEX, max_bytes=max_bytes, empty_ok=empty_ok)


def calldata_parse(value: object) -> bytes:
    """The data of a call the account makes: hex bytes, absent or `0x` for none, at most MAX_CALLDATA_BYTES."""
    return _hex_bytes(value, code=INVALID_CALLDATA, max_bytes=MAX_CALLDATA_BYTES, empty_ok=True)


def bytes32_parse(value: object) -> str:
    """A 32-byte hash as 0x + 64 hex digits, returned lower-case (how hashes are stored and compared)."""
    if not isinstance(value, str) or not _BYTES32.fullmatch(value):
        raise EvmValueError(INVALID_HASH, "Expected 0x and 64 hex digits.")
    return value.lower()


def chain_id_parse(value: object) -> int:
    """A chain id as a JSON integer (or its decimal string, as a query parameter carries it), 1..CHAIN_ID_MAX."""
    if _is_int(value):
        number = value
    elif isinstance(value, str) and _UINT.fullmatch(value):
        number = int(value)
    else:
        raise EvmValueError(INVALID_CHAIN_ID, "A chain id is a positive integer.")
    if not 1 <= number <= CHAIN_ID_MAX:
        raise EvmValueError(INVALID_CHAIN_ID, f"A chain id is an integer from 1 to {CHAIN_ID_MAX}.")
    return number

"""The EVM value rules (apps.chain.values) and the DRF fields built on them: what enters from outside is refused
unless it is exactly an address, an amount, hex bytes, a hash, a quantity or a chain id."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from apps.chain import values
from apps.chain.errors import InvalidAddress, InvalidCalldata, evm_value_refused
from apps.chain.serializer_fields import (
    AddressField,
    Bytes32Field,
    ChainIdField,
    HexBytesField,
    QuantityField,
    WeiField,
)

CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # the EIP-55 test vector
ADDRESS = CHECKSUMMED.lower()
HASH = "0x" + "Ab" * 32

# Things `str.isdigit()`, `int()` or `int(x, 0)` let through and no amount is: superscript and other non-ASCII
# digits, signs, underscores, whitespace (a trailing newline too), other bases, floats and bools.
NOT_DECIMAL = [
    "²",
    "1²",
    "٣",  # Arabic-Indic three: int() reads it as 3
    "\uff11",  # fullwidth one
    "-1",
    "+1",
    "1_000",
    " 1",
    "1 ",
    "1\n",
    "\t1",
    "0x10",
    "0b1",
    "0o7",
    "1e18",
    "1.0",
    "01",
    "",
    1.0,
    1.5,
    True,
    False,
    None,
    [],
    {},
]


def _refused(code: str, parse, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(values.EvmValueError) as caught:
        parse(value)
    assert caught.value.code == code, caught.value
    assert isinstance(caught.value, ValueError)


# --- addresses -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [CHECKSUMMED, ADDRESS, "0x" + CHECKSUMMED[2:].upper()])
def test_an_address_in_one_case_or_checksummed_is_returned_checksummed(given: str) -> None:
    assert values.address_parse(given) == CHECKSUMMED


@pytest.mark.parametrize(
    "given",
    [
        CHECKSUMMED[:-1] + "D",  # one letter's case flipped: the checksum no longer matches
        "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        CHECKSUMMED[2:],  # no 0x
        "0X" + CHECKSUMMED[2:],
        CHECKSUMMED + "\n",
        " " + CHECKSUMMED,
        CHECKSUMMED[:-2],
        CHECKSUMMED + "00",
        "0x" + "g" * 40,
        "0x" + "²" * 40,
        "",
        None,
        0,
        int(ADDRESS, 16),
        b"\x00" * 20,
    ],
)
def test_anything_else_is_not_an_address(given: object) -> None:
    _refused(values.INVALID_ADDRESS, values.address_parse, given)


# --- amounts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0", 0),
        ("1", 1),
        ("1000000000000000000", 10**18),
        (str(2**256 - 1), 2**256 - 1),
        (7, 7),
        (2**256 - 1, 2**256 - 1),
    ],
)
def test_an_amount_is_a_decimal_string_or_an_int(given: object, expected: int) -> None:
    assert values.uint256_parse(given) == expected


@pytest.mark.parametrize("given", NOT_DECIMAL)
def test_an_amount_is_never_another_spelling_of_a_number(given: object) -> None:
    _refused(values.INVALID_AMOUNT, values.uint256_parse, given)


@pytest.mark.parametrize(
    "given",
    [str(2**256), 2**256, -1, str(10**78), "9" * 79, 10**5000],
    ids=["2^256 as text", "2^256", "-1", "10^78 as text", "79 nines", "10^5000 (too long even to print)"],
)
def test_an_amount_fits_in_uint256(given: object) -> None:
    _refused(values.INVALID_AMOUNT, values.uint256_parse, given)


def test_zero_is_refused_only_where_an_amount_must_be_positive() -> None:
    assert values.uint256_parse("0") == 0
    _refused(values.INVALID_AMOUNT, lambda v: values.uint256_parse(v, allow_zero=False), "0")
    _refused(values.INVALID_AMOUNT, lambda v: values.uint256_parse(v, allow_zero=False), 0)


# --- quantities (JSON-RPC numbers) and typed-data integers ------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [("0x0", 0), ("0x1a", 26), ("0x1A", 26), ("0x01", 1), ("0x" + "f" * 64, 2**256 - 1), (5, 5), (0, 0)],
)
def test_a_quantity_is_0x_hex_or_a_json_integer(given: object, expected: int) -> None:
    assert values.quantity_parse(given) == expected


@pytest.mark.parametrize(
    "given",
    ["0x", "1a", "26", "0X1a", "0x1g", "0x²", "0x1_0", " 0x1", "0x1\n", "-0x1", "0x" + "1" * 65, -1, 2**256, 1.0, True],
)
def test_anything_else_is_not_a_quantity(given: object) -> None:
    _refused(values.INVALID_QUANTITY, values.quantity_parse, given)


@pytest.mark.parametrize(("given", "expected"), [(5, 5), ("5", 5), ("0x10", 16), (str(2**256 - 1), 2**256 - 1)])
def test_a_typed_data_integer_is_a_number_a_decimal_or_a_hex_string(given: object, expected: int) -> None:
    assert values.typed_data_uint_parse(given) == expected


@pytest.mark.parametrize("given", ["²", "0x", "0xzz", "-5", True, 1.5, str(2**256)])
def test_a_typed_data_integer_follows_the_amount_rules(given: object) -> None:
    _refused(values.INVALID_AMOUNT, values.typed_data_uint_parse, given)


# --- bytes, calldata, hashes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [("0x", b""), (None, b""), ("0xa9059cbb", bytes.fromhex("a9059cbb")), ("0xABcd", b"\xab\xcd")],
)
def test_hex_bytes_are_0x_and_whole_bytes(given: object, expected: bytes) -> None:
    assert values.hex_bytes_parse(given) == expected
    assert values.calldata_parse(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "0xabc",  # odd length: half a byte
        "0x0",
        "abcd",
        "",
        "0xa9059cbbzz",  # junk after a selector
        "0xa9059cbb ",
        "0xa9059cbb\n",
        "0xa9 05 9c bb",  # bytes.fromhex would skip the spaces
        "0xa9059cbb00²",
        "0x²²",
        b"\xa9\x05",
        42,
    ],
)
def test_anything_else_is_not_hex_bytes(given: object) -> None:
    _refused(values.INVALID_HEX, values.hex_bytes_parse, given)
    _refused(values.INVALID_CALLDATA, values.calldata_parse, given)


def test_hex_bytes_have_a_size_limit_and_may_be_required() -> None:
    at_limit = "0x" + "00" * values.MAX_CALLDATA_BYTES
    assert len(values.calldata_parse(at_limit)) == values.MAX_CALLDATA_BYTES
    _refused(values.INVALID_CALLDATA, values.calldata_parse, at_limit + "00")
    assert len(values.hex_bytes_parse(at_limit + "00", max_bytes=None)) == values.MAX_CALLDATA_BYTES + 1
    _refused(values.INVALID_HEX, lambda v: values.hex_bytes_parse(v, empty_ok=False), "0x")
    _refused(values.INVALID_HEX, lambda v: values.hex_bytes_parse(v, empty_ok=False), None)


def test_a_hash_is_returned_lower_case() -> None:
    assert values.bytes32_parse(HASH) == HASH.lower()


@pytest.mark.parametrize("given", [HASH[:-2], HASH + "00", HASH[2:], HASH + "\n", "0x" + "g" * 64, None, 0])
def test_anything_else_is_not_a_hash(given: object) -> None:
    _refused(values.INVALID_HASH, values.bytes32_parse, given)


# --- chain ids -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [(1, 1), ("31337", 31337), (values.CHAIN_ID_MAX, values.CHAIN_ID_MAX)])
def test_a_chain_id_is_a_positive_integer(given: object, expected: int) -> None:
    assert values.chain_id_parse(given) == expected


@pytest.mark.parametrize("given", [0, "0", -1, values.CHAIN_ID_MAX + 1, 2**64, *NOT_DECIMAL])
def test_anything_else_is_not_a_chain_id(given: object) -> None:
    _refused(values.INVALID_CHAIN_ID, values.chain_id_parse, given)


# --- the API's refusal and the DRF fields --------------------------------------------------------------------


def test_a_service_refusal_carries_the_rules_code_and_the_field() -> None:
    try:
        values.address_parse("0x1234")
    except values.EvmValueError as exc:
        refusal = evm_value_refused(exc, field="transfer.to")
    assert type(refusal) is InvalidAddress and refusal.code == "invalid_address"
    assert refusal.details == {"fields": {"transfer.to": [refusal.message]}}
    try:
        values.calldata_parse("0xabc")
    except values.EvmValueError as exc:
        assert evm_value_refused(exc, field="calls[0].data").code == InvalidCalldata.code == "invalid_calldata"


class _Body(serializers.Serializer):
    to = AddressField()
    value = WeiField(default=0)
    data = HexBytesField(default=b"")  # type: ignore[assignment]  # the API's field is named data
    nonce = QuantityField(default=0)
    chain_id = ChainIdField()
    hash = Bytes32Field(required=False)


def test_the_fields_parse_with_the_rules_and_fill_python_defaults() -> None:
    body = _Body(data={"to": ADDRESS, "chain_id": 31337, "hash": HASH})
    assert body.is_valid(), body.errors
    assert body.validated_data == {
        "to": CHECKSUMMED,
        "value": 0,
        "data": b"",
        "nonce": 0,
        "chain_id": 31337,
        "hash": HASH.lower(),
    }


def test_a_field_refusal_names_the_rules_code() -> None:
    body = _Body(data={"to": "0x12", "value": "²", "data": "0xabc", "nonce": "7", "chain_id": True, "hash": "0x"})
    assert not body.is_valid()
    assert body.errors["to"][0].code == "invalid_address"
    assert body.errors["value"][0].code == "invalid_amount"
    assert body.errors["data"][0].code == "invalid_hex"
    assert body.errors["nonce"][0].code == "invalid_quantity"
    assert body.errors["chain_id"][0].code == "invalid_chain_id"
    assert body.errors["hash"][0].code == "invalid_hash"


def test_the_fields_render_canonical_json() -> None:
    assert AddressField().to_representation(ADDRESS) == CHECKSUMMED
    assert AddressField().to_representation("") == ""
    assert WeiField().to_representation(10**30) == str(10**30)
    assert QuantityField().to_representation(26) == "0x1a"
    assert HexBytesField().to_representation(b"\xab") == "0xab"
    assert Bytes32Field().to_representation(HASH) == HASH.lower()
    assert ChainIdField().to_representation("10") == 10

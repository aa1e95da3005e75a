"""DRF fields for EVM values, used by every API that takes them: the rules are `apps.chain.values`, and the
OpenAPI schema states the same pattern the parser enforces, so generated clients refuse what we would refuse.

A refusal is a field error whose code is the rule's (`invalid_address`, ...); the response is the usual
`validation_error` with the field's message. Defaults are given as Python values (`default=0`, `default=b""`):
DRF hands a default over without parsing it, and the schema renders it through `to_representation`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.chain import values

_VT = TypeVar("_VT")  # the value in Python
_RP = TypeVar("_RP")  # its JSON representation


class _EvmField(serializers.Field[_VT, Any, _RP, Any]):
    """Parses with one `apps.chain.values` rule; a refusal is a field error carrying the rule's code."""

    def _parse(self, data: object) -> _VT:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> _VT:
        try:
            return self._parse(data)
        except values.EvmValueError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc


@extend_schema_field({"type": "string", "pattern": values.ADDRESS_PATTERN, "example": "0x" + "ab" * 20})
class AddressField(_EvmField[str, str]):
    """An address; mixed case must be a valid EIP-55 checksum. Internally and in output: checksummed."""

    def _parse(self, data: object) -> str:
        return values.address_parse(data)

    def to_representation(self, value: Any) -> str:
        return values.address_parse(value) if value else ""  # a blank optional address stays blank


@extend_schema_field({"type": "string", "pattern": values.UINT256_PATTERN, "example": "1000000000000000000"})
class WeiField(_EvmField[int, str]):
    """A uint256 (wei, token base units) as a decimal string in JSON, an int in Python."""

    def __init__(self, *, allow_zero: bool = True, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def _parse(self, data: object) -> int:
        return values.uint256_parse(data, allow_zero=self.allow_zero)

    def to_representation(self, value: Any) -> str:
        return str(int(value))


@extend_schema_field({"type": "string", "pattern": values.POSITIVE_UINT256_PATTERN, "example": "1000000000000000000"})
class PositiveWeiField(WeiField):
    """A uint256 that must not be zero (a transfer's amount)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_zero=False, **kwargs)


@extend_schema_field({"type": "string", "pattern": values.QUANTITY_PATTERN, "example": "0x0"})
class QuantityField(_EvmField[int, str]):
    """A number as JSON-RPC writes it (0x-hex), where a field mirrors a UserOperation's JSON; an int in Python."""

    def _parse(self, data: object) -> int:
        return values.quantity_parse(data)

    def to_representation(self, value: Any) -> str:
        return hex(int(value))


@extend_schema_field({"type": "string", "pattern": values.HEX_BYTES_PATTERN, "example": "0x"})
class HexBytesField(_EvmField[bytes, str]):
    """0x-prefixed hex with whole bytes, as `bytes` in Python; `max_bytes=None` leaves the limit to the body's."""

    def __init__(self, *, max_bytes: int | None = values.MAX_CALLDATA_BYTES, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def _parse(self, data: object) -> bytes:
        return values.hex_bytes_parse(data, max_bytes=self.max_bytes, empty_ok=True)

    def to_representation(self, value: Any) -> str:
        return "0x" + bytes(value).hex()


@extend_schema_field({"type": "string", "pattern": values.BYTES32_PATTERN})
class Bytes32Field(_EvmField[str, str]):
    """A 32-byte hash (userOpHash, transaction hash) as 0x-hex, lower-case."""

    def _parse(self, data: object) -> str:
        return values.bytes32_parse(data)

    def to_representation(self, value: Any) -> str:
        return str(value).lower()


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": values.CHAIN_ID_MAX})
class ChainIdField(_EvmField[int, int]):
    """An EIP-155 chain id."""

    def _parse(self, data: object) -> int:
        return values.chain_id_parse(data)

    def to_representation(self, value: Any) -> int:
        return int(value)


__all__ = [
    "AddressField",
    "Bytes32Field",
    "ChainIdField",
    "HexBytesField",
    "PositiveWeiField",
    "QuantityField",
    "WeiField",
]

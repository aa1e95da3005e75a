"""Model fields for EVM values, in the spirit of safe-eth-py's Django fields: the column type and the check are
declared once, and on PostgreSQL a CHECK makes the database refuse what the application would refuse.

- `AddressField`: 42 characters, stored checksummed (EIP-55), so equality in SQL is equality of addresses.
- `Uint256Field`: NUMERIC(78, 0) between 0 and 2^256 - 1, read back as `int` (never a float, never a Decimal that
  a JSON encoder would turn into a string).
- `Bytes32Field`: 66 characters of lower-case 0x-hex (hashes).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Combinable

from apps.chain import values

_ST = TypeVar("_ST")
_GT = TypeVar("_GT")


def _regex_check(field: models.Field[Any, Any], connection: BaseDatabaseWrapper, pattern: str) -> str | None:
    """A CHECK on PostgreSQL (the production and test database); SQLite, the `make run` default, has no regex
    operator, and there the validators and parsers are the only guard."""
    if connection.vendor != "postgresql":
        return None
    column = _quoted_column(field, connection)
    check = f"{column} ~ '{pattern}'"
    return f"({column} = '' OR {check})" if field.blank else check


def _quoted_column(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> str:
    assert field.column is not None, "a CHECK is built for a field attached to its model"
    return connection.ops.quote_name(field.column)


def _address_validator(value: Any) -> None:
    try:
        values.address_parse(value)
    except values.EvmValueError as exc:
        raise ValidationError(exc.message, code=exc.code) from exc


def _bytes32_validator(value: Any) -> None:
    try:
        values.bytes32_parse(value)
    except values.EvmValueError as exc:
        raise ValidationError(exc.message, code=exc.code) from exc


class AddressField(models.CharField[_ST, _GT]):
    default_validators = [_address_validator]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 42
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def db_check(self, connection: BaseDatabaseWrapper) -> str | None:
        return _regex_check(self, connection, values.ADDRESS_PATTERN)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if isinstance(value, str) and value:
            try:
                return values.address_parse(value)
            except values.EvmValueError:
                return value  # full_clean reports it; a lookup for a malformed address simply finds nothing
        return value


class Uint256Field(models.DecimalField[_ST, _GT]):
    # The Python types django-stubs gives a model's attribute: reads are ints (from_db_value), not Decimals.
    _pyi_private_set_type: int | str | Decimal | Combinable
    _pyi_private_get_type: int  # type: ignore[assignment]  # narrows DecimalField's, as the stubs' own fields do
    default_validators = [validators.MinValueValidator(0), validators.MaxValueValidator(values.UINT256_MAX)]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_digits"], kwargs["decimal_places"] = 78, 0
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs

    def db_check(self, connection: BaseDatabaseWrapper) -> str | None:
        column = _quoted_column(self, connection)
        return f"{column} >= 0 AND {column} <= {values.UINT256_MAX}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> int | None:
        return None if value is None else int(value)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return int(value) if isinstance(value, Decimal) else value


class Bytes32Field(models.CharField[_ST, _GT]):
    default_validators = [_bytes32_validator]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 66
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def db_check(self, connection: BaseDatabaseWrapper) -> str | None:
        return _regex_check(self, connection, values.BYTES32_PATTERN)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return value.lower() if isinstance(value, str) else value

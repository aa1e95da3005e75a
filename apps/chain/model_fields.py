"""Model fields for EVM values, in the spirit of safe-eth-py's Django fields: the column type and the check are
declared once, and on PostgreSQL a CHECK makes the database refuse what the application would refuse.

- `AddressField`: 42 characters, stored checksummed (EIP-55), so equality in SQL is equality of addresses.
- `Uint256Field`: NUMERIC(78, 0) between 0 and 2^256 - 1, read back as `int` (never a float, never a Decimal that
  a JSON encoder would turn into a string).
- `Bytes32Field`: 66 characters of lower-case 0x-hex (hashes).

Lookups go through the same normalisation (`get_prep_value`), so `filter(address=lower_case)` and
`filter(user_op_hash=upper_case)` find the stored row; a malformed value is passed through unchanged, so it
finds nothing (and, written, is refused by `full_clean` or the CHECK).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.functional import cached_property

from apps.chain import values

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)


def _column(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> str:
    """The quoted column name; only asked for once the field belongs to a model (and so has a column)."""
    return connection.ops.quote_name(field.column or field.name)


def _regex_check(field: models.CharField[Any, Any], connection: BaseDatabaseWrapper, pattern: str) -> str | None:
    """A CHECK on PostgreSQL (the production and test database); SQLite, the `make run` default, has no regex
    operator, and there the validators and parsers are the only guard."""
    if connection.vendor != "postgresql":
        return None
    column = _column(field, connection)
    check = f"{column} ~ '{pattern}'"
    return f"({column} = '' OR {check})" if field.blank else check


def _rule_validator(parse: Callable[[object], object]) -> Callable[[object], None]:
    """A model validator from one `apps.chain.values` rule: its refusal, with the rule's code, for full_clean."""

    def validate(value: object) -> None:
        try:
            parse(value)
        except values.EvmValueError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc

    return validate


def _canonical_on_save(field: models.Field[Any, Any], instance: models.Model, value: Any) -> Any:
    """The value as it will be stored, also set on the instance, so that it reads what the row holds."""
    stored = field.get_prep_value(value)
    if stored != value:
        setattr(instance, field.attname, stored)
    return stored


class _HexStringField(models.CharField[_ST, _GT]):
    """A fixed-length hex string column: its length, pattern (the PostgreSQL CHECK) and canonical spelling come
    from one `apps.chain.values` rule. Lookups and saves go through `_canonical`, so the row holds one spelling."""

    length: int
    pattern: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = self.length
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def db_check(self, connection: BaseDatabaseWrapper) -> str | None:
        return _regex_check(self, connection, self.pattern)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return _canonical_on_save(self, model_instance, super().pre_save(model_instance, add))

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return self._canonical(value) if isinstance(value, str) else value

    def _canonical(self, value: str) -> str:
        raise NotImplementedError


class AddressField(_HexStringField[_ST, _GT]):
    default_validators = [_rule_validator(values.address_parse)]
    length, pattern = 42, values.ADDRESS_PATTERN

    def _canonical(self, value: str) -> str:
        if not value:
            return value
        try:
            return values.address_parse(value)
        except values.EvmValueError:
            return value  # full_clean reports it; a lookup for a malformed address simply finds nothing


class Uint256Field(models.DecimalField[_ST, _GT]):
    if TYPE_CHECKING:  # what the django-stubs plugin reads for the attribute's type: an int, not a Decimal
        _pyi_private_set_type: int | str | Decimal | Combinable
        _pyi_private_get_type: int  # type: ignore[assignment]  # the point of the field: read back as int

    default_validators = [validators.MinValueValidator(0), validators.MaxValueValidator(values.UINT256_MAX)]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_digits"], kwargs["decimal_places"] = 78, 0
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs

    @cached_property
    def validators(self) -> list[Any]:
        # Not DecimalField's DecimalValidator: it reads Decimal.as_tuple(), and our values are ints. The range
        # validators above say all it would.
        return list(super(models.DecimalField, self).validators)

    def db_check(self, connection: BaseDatabaseWrapper) -> str | None:
        column = _column(self, connection)
        return f"{column} >= 0 AND {column} <= {values.UINT256_MAX}"

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> int | None:
        return None if value is None else int(value)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return int(value) if isinstance(value, Decimal) else value

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        # The driver gets a Decimal, as for any DecimalField: sqlite3 cannot bind an int past 2^63.
        value = super().get_db_prep_value(value, connection, prepared)
        return Decimal(value) if isinstance(value, int) else value


class Bytes32Field(_HexStringField[_ST, _GT]):
    default_validators = [_rule_validator(values.bytes32_parse)]
    length, pattern = 66, values.BYTES32_PATTERN

    def _canonical(self, value: str) -> str:
        return value.lower()

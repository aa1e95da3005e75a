"""The EVM model fields: addresses stored checksummed, hashes lower-case, uint256 read back as int, lookups
normalised the same way, and PostgreSQL refusing what the rules refuse even when a write bypasses the model."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from tests.testapp.models import EvmValues

pytestmark = pytest.mark.django_db

CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
HASH = "0x" + "Ab" * 32


def test_values_are_stored_canonical_and_found_by_any_spelling() -> None:
    row = EvmValues.objects.create(address=CHECKSUMMED.lower(), amount=2**256 - 1, hash=HASH)
    assert (row.address, row.hash) == (CHECKSUMMED, HASH.lower())  # the saved instance reads what the row holds
    with connection.cursor() as cursor:
        cursor.execute("SELECT address, hash FROM testapp_evmvalues WHERE id = %s", [row.pk])
        assert cursor.fetchone() == (CHECKSUMMED, HASH.lower())
    assert EvmValues.objects.get(address=CHECKSUMMED.upper().replace("0X", "0x")) == row
    assert EvmValues.objects.get(address__in=[CHECKSUMMED.lower()]) == row
    assert EvmValues.objects.get(hash=HASH.upper().replace("0X", "0x")) == row
    assert not EvmValues.objects.filter(address="0x1234").exists()  # malformed: found nowhere, no error


def test_uint256_reads_back_as_an_exact_int_also_in_sums() -> None:
    EvmValues.objects.create(amount=2**255)
    EvmValues.objects.create(amount=2**255 - 1)
    row = EvmValues.objects.get(amount=2**255)
    assert type(row.amount) is int and row.amount == 2**255
    total = EvmValues.objects.aggregate(total=Sum("amount"))["total"]
    assert type(total) is int and total == 2**256 - 1


def test_full_clean_applies_the_rules() -> None:
    with pytest.raises(ValidationError) as caught:
        EvmValues(address="0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", amount=-1, hash="0x12").full_clean()
    assert set(caught.value.message_dict) == {"address", "amount", "hash"}
    EvmValues(address=CHECKSUMMED, amount=2**256 - 1, hash=HASH).full_clean()
    EvmValues(address="", amount=None, hash=None).full_clean()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("address", "0x1234"),
        ("address", CHECKSUMMED[:-1] + " "),  # (a space past 42 characters PostgreSQL would just trim)
        ("hash", "0x" + "zz" * 32),
        ("amount", -1),
        ("amount", 2**256),
    ],
)
def test_postgresql_refuses_a_malformed_value_written_past_the_model(column: str, value: object) -> None:
    row = EvmValues.objects.create(address=CHECKSUMMED, amount=1, hash=HASH)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE testapp_evmvalues SET {column} = %s WHERE id = %s", [value, row.pk])

"""Encrypted fields never store plaintext, survive key rotation, and cannot be moved between rows."""

import pytest
from django.core.management import call_command
from django.db import connection

from lykos.crypto import (
    DecryptionError,
    EncryptedToken,
    blind_index,
    blind_index_candidates,
    blind_index_rotate_pepper,
)
from lykos.secrets import get_secrets_provider, wrapped_key_version
from tests.testapp.models import SecretNote

pytestmark = pytest.mark.django_db

PLAINTEXT = "alice@example.com"


def raw_column(note: SecretNote, column: str = "body") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM testapp_secretnote WHERE id = %s", [note.pk])
        return cursor.fetchone()[0]


def test_value_is_never_plaintext_in_its_column() -> None:
    note = SecretNote.objects.create(body=PLAINTEXT)
    raw = raw_column(note)
    assert PLAINTEXT not in raw and "alice" not in raw
    assert raw.startswith("lk1$vault:v")
    assert SecretNote.objects.get(pk=note.pk).body == PLAINTEXT


def test_same_plaintext_encrypts_differently_each_time() -> None:
    first, second = SecretNote.objects.create(body=PLAINTEXT), SecretNote.objects.create(body=PLAINTEXT)
    assert raw_column(first) != raw_column(second)


def test_ciphertext_copied_to_another_row_fails_to_decrypt() -> None:
    victim = SecretNote.objects.create(body=PLAINTEXT)
    attacker = SecretNote.objects.create(body="mine")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE testapp_secretnote SET body = %s WHERE id = %s", [raw_column(victim), attacker.pk])
    with pytest.raises(DecryptionError):
        _ = SecretNote.objects.get(pk=attacker.pk).body


def test_ciphertext_copied_to_another_column_fails_to_decrypt() -> None:
    note = SecretNote.objects.create(body=PLAINTEXT)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE testapp_secretnote SET other = body WHERE id = %s", [note.pk])
    with pytest.raises(DecryptionError):
        _ = SecretNote.objects.get(pk=note.pk).other


def test_encrypted_fields_cannot_be_searched_by_value() -> None:
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        SecretNote.objects.filter(body=PLAINTEXT).exists()


def test_rotation_keeps_old_rows_readable_and_rewrap_moves_them_to_the_new_version() -> None:
    provider = get_secrets_provider()
    old_notes = [SecretNote.objects.create(body=f"{PLAINTEXT}-{i}") for i in range(3)]
    old_version = wrapped_key_version(EncryptedToken.parse(raw_column(old_notes[0])).wrapped_key)

    new_version = provider.rotate_master_key()
    assert new_version > old_version
    assert [SecretNote.objects.get(pk=n.pk).body for n in old_notes] == [f"{PLAINTEXT}-{i}" for i in range(3)]

    call_command("rewrap_encrypted", "--no-progress")
    for i, note in enumerate(old_notes):
        raw = raw_column(note)
        assert wrapped_key_version(EncryptedToken.parse(raw).wrapped_key) == new_version
        assert SecretNote.objects.get(pk=note.pk).body == f"{PLAINTEXT}-{i}"

    # Once everything is re-wrapped, old key versions can be retired and the data still reads.
    provider.client.secrets.transit.update_key_configuration(
        name=provider.transit_key, min_decryption_version=new_version, mount_point=provider.transit_mount
    )
    try:
        assert SecretNote.objects.get(pk=old_notes[0].pk).body == f"{PLAINTEXT}-0"
    finally:
        provider.client.secrets.transit.update_key_configuration(
            name=provider.transit_key, min_decryption_version=1, mount_point=provider.transit_mount
        )


def test_rewrap_reports_counts_and_is_idempotent(capsys) -> None:  # type: ignore[no-untyped-def]
    SecretNote.objects.create(body=PLAINTEXT)
    get_secrets_provider().rotate_master_key()
    call_command("rewrap_encrypted", "--no-progress")
    assert "Re-wrapped 1 value(s)" in capsys.readouterr().out
    call_command("rewrap_encrypted", "--no-progress")
    assert "Re-wrapped 0 value(s)" in capsys.readouterr().out


def test_blind_index_is_keyed_purpose_bound_and_survives_pepper_rotation() -> None:
    index = blind_index(PLAINTEXT, purpose="email")
    assert PLAINTEXT not in index and index.startswith("v")
    assert blind_index(PLAINTEXT, purpose="email") == index
    assert blind_index(PLAINTEXT, purpose="phone") != index

    SecretNote.objects.create(body=PLAINTEXT, body_index=index)
    blind_index_rotate_pepper()
    assert blind_index(PLAINTEXT, purpose="email") != index
    candidates = blind_index_candidates(PLAINTEXT, purpose="email")
    assert SecretNote.objects.filter(body_index__in=candidates).count() == 1

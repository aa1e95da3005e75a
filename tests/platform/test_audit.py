"""The audit log is append-only and hash-chained; the verify command finds a modified or removed row."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from lykos.audit.models import AuditEvent
from lykos.audit.services import GENESIS_HASH, audit_chain_problems, audit_record, audit_seal
from tests.testapp.audit import PlumbingAuditEvent
from tests.testapp.models import SecretNote


def _record_three() -> list[AuditEvent]:
    """Three events, sealed as they would be on commit (these tests run inside one rolled-back transaction)."""
    note = SecretNote.objects.create(body="x")
    events = [
        audit_record(event_type=PlumbingAuditEvent.NOTE_CREATED, subject=note, new_values={"body": "[encrypted]"}),
        audit_record(event_type=PlumbingAuditEvent.NOTE_VIEWED, actor="reviewer-1", actor_type="staff", subject=note),
        audit_record(
            event_type=PlumbingAuditEvent.NOTE_CHANGED, subject=note, old_values={"n": 1}, new_values={"n": 2}
        ),
    ]
    assert all(e.entry_hash is None for e in events)
    assert audit_seal() == 3
    return [AuditEvent.objects.get(pk=e.pk) for e in events]


@pytest.mark.django_db
def test_chain_links_every_row_to_the_previous_one(capsys) -> None:  # type: ignore[no-untyped-def]
    events = _record_three()
    assert events[0].prev_hash == GENESIS_HASH and [e.seq for e in events] == [1, 2, 3]
    assert [e.prev_hash for e in events[1:]] == [e.entry_hash for e in events[:-1]]
    assert audit_seal() == 0  # idempotent
    assert events[0].subject_type == "testapp.secretnote"
    call_command("audit_verify")
    assert "intact: 3 event(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_orm_refuses_update_and_delete() -> None:
    event = _record_three()[0]
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(event_type="x")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE lykos_auditevent SET event_type = 'x' WHERE id = %s",
        "UPDATE lykos_auditevent SET entry_hash = md5('x') || md5('y') WHERE id = %s",
        "UPDATE lykos_auditevent SET seq = NULL, entry_hash = NULL WHERE id = %s",
        "DELETE FROM lykos_auditevent WHERE id = %s",
    ],
    ids=["content", "reseal", "unseal", "delete"],
)
def test_database_trigger_refuses_raw_changes(sql: str) -> None:
    event = _record_three()[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])


@pytest.mark.django_db
def test_database_trigger_refuses_content_change_while_sealing() -> None:
    event = audit_record(event_type=PlumbingAuditEvent.UNSEALED)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE lykos_auditevent SET seq = 99, entry_hash = md5('a') || md5('b'), event_type = 'forged'"
            " WHERE id = %s",
            [event.pk],
        )


def _tamper(sql: str, params: list) -> None:
    """What an attacker with DDL rights does: drop the guard, change history."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE lykos_auditevent DISABLE TRIGGER lykos_auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE lykos_auditevent ENABLE TRIGGER lykos_auditevent_append_only")


@pytest.mark.django_db
def test_verify_detects_a_modified_row(capsys) -> None:  # type: ignore[no-untyped-def]
    events = _record_three()
    _tamper("UPDATE lykos_auditevent SET new_values = '{\"n\": 3}' WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError, match="Audit chain broken"):
        call_command("audit_verify")
    assert f"audit event {events[2].pk}: content does not match" in capsys.readouterr().err


@pytest.mark.django_db
def test_verify_detects_a_deleted_row() -> None:
    events = _record_three()
    _tamper("DELETE FROM lykos_auditevent WHERE id = %s", [events[1].pk])
    problems = list(audit_chain_problems())
    assert [(p.event_id, p.problem.split(":")[0]) for p in problems] == [(events[2].pk, "link broken")]


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_linear_chain() -> None:
    def append(i: int) -> None:
        try:
            with transaction.atomic():
                audit_record(event_type=PlumbingAuditEvent.CONCURRENT, subject=str(i))
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = AuditEvent.objects.filter(event_type=PlumbingAuditEvent.CONCURRENT)
    assert events.count() == 12
    # Sealed on commit by the writers themselves, in one linear chain.
    assert not events.filter(seq__isnull=True).exists()
    assert sorted(events.values_list("seq", flat=True)) == list(range(1, 13))
    assert list(audit_chain_problems()) == []

"""Audit head anchoring (issue 17, acceptance 8): the chain's head is published to an Object Lock S3 bucket on
the test S3 server, and cutting the newest rows off the chain, which leaves a chain that still verifies on its
own, is reported by `audit_verify` against that anchor."""

from __future__ import annotations

import secrets

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from lykos.audit.anchor import AnchorError, audit_anchor_publish
from lykos.audit.services import audit_chain_problems, audit_record, audit_seal
from lykos.tasks import anchor_audit_head_task
from tests.support.media import S3Server
from tests.testapp.audit import PlumbingAuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchor_bucket(settings, s3_server: S3Server) -> str:  # type: ignore[no-untyped-def]
    """A fresh Object Lock bucket per test, so anchors of one test never meet another's chain."""
    bucket = f"lykos-anchor-{secrets.token_hex(4)}"
    s3_server.client().create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    settings.AUDIT_ANCHOR_BACKEND = "s3"
    settings.AUDIT_ANCHOR_S3_BUCKET = bucket
    settings.AUDIT_ANCHOR_S3_ENDPOINT_URL = s3_server.endpoint
    settings.AUDIT_ANCHOR_RETENTION_DAYS = 1
    return bucket


def _record(n: int) -> None:
    for i in range(n):
        audit_record(event_type=PlumbingAuditEvent.CONCURRENT, subject=f"anchor-{i}")
    audit_seal()


def _cut_off_newest(count: int) -> None:
    """What an attacker with DDL rights does to hide what happened last: delete the newest rows."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE lykos_auditevent DISABLE TRIGGER lykos_auditevent_append_only")
        cursor.execute(
            "DELETE FROM lykos_auditevent WHERE seq IN (SELECT seq FROM lykos_auditevent ORDER BY seq DESC LIMIT %s)",
            [count],
        )
        cursor.execute("ALTER TABLE lykos_auditevent ENABLE TRIGGER lykos_auditevent_append_only")


def test_the_head_is_published_once_per_move_and_object_locked(anchor_bucket: str, s3_server: S3Server) -> None:
    _record(3)
    first = anchor_audit_head_task.apply().get()
    assert first == 3
    assert anchor_audit_head_task.apply().get() is None  # unchanged head: nothing new to anchor
    _record(2)
    assert audit_anchor_publish().seq == 5  # type: ignore[union-attr]

    client = s3_server.client()
    versions = client.list_object_versions(Bucket=anchor_bucket)["Versions"]
    assert sorted(v["Key"] for v in versions) == [f"audit-anchors/{3:020d}.json", f"audit-anchors/{5:020d}.json"]
    head = client.head_object(Bucket=anchor_bucket, Key=f"audit-anchors/{5:020d}.json")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    # Nobody can remove an anchor before its retention ends, not even the bucket's owner.
    newest = next(v for v in versions if v["Key"].endswith(f"{5:020d}.json"))
    with pytest.raises(Exception, match="AccessDenied"):
        client.delete_object(Bucket=anchor_bucket, Key=newest["Key"], VersionId=newest["VersionId"])


def test_verify_reports_rows_cut_off_the_end_of_the_chain(anchor_bucket: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _record(5)
    audit_anchor_publish()
    call_command("audit_verify")
    assert "anchored at seq 5" in capsys.readouterr().out

    _cut_off_newest(2)
    assert list(audit_chain_problems()) == []  # on its own, the shortened chain looks intact
    with pytest.raises(CommandError, match="Audit chain broken"):
        call_command("audit_verify")
    err = capsys.readouterr().err
    assert "removed from the end of the chain" in err and "names seq 5" in err and "ends at seq 3" in err


def test_a_delete_marker_does_not_hide_the_anchor(anchor_bucket: str, s3_server: S3Server) -> None:
    """Deleting a locked object without a version id only adds a delete marker; the verifier reads versions."""
    _record(4)
    audit_anchor_publish()
    s3_server.client().delete_object(Bucket=anchor_bucket, Key=f"audit-anchors/{4:020d}.json")
    _cut_off_newest(1)
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_a_rewritten_tail_is_reported_and_never_anchored(anchor_bucket: str) -> None:
    """Cutting rows off and appending new ones reuses the anchored seq with another hash: both the verifier and
    the next publish see it, and the publisher refuses to bless the rewritten chain."""
    _record(3)
    audit_anchor_publish()
    _cut_off_newest(1)
    _record(2)
    with pytest.raises(CommandError):
        call_command("audit_verify")
    with pytest.raises(AnchorError, match="damaged chain"):
        audit_anchor_publish()


def test_anchoring_off_by_default_and_a_bucket_without_object_lock_is_refused(settings, s3_server: S3Server) -> None:  # type: ignore[no-untyped-def]
    assert settings.AUDIT_ANCHOR_BACKEND == "" and audit_anchor_publish() is None
    plain = f"lykos-plain-{secrets.token_hex(4)}"
    s3_server.client().create_bucket(Bucket=plain)
    settings.AUDIT_ANCHOR_BACKEND = "s3"
    settings.AUDIT_ANCHOR_S3_BUCKET = plain
    settings.AUDIT_ANCHOR_S3_ENDPOINT_URL = s3_server.endpoint
    _record(1)
    with pytest.raises(AnchorError, match="Object Lock"):
        audit_anchor_publish()
    assert "Contents" not in s3_server.client().list_objects_v2(Bucket=plain)

"""Threat intelligence: the import command (CSV/JSON, idempotent, counts, invalid rows), admin management (audited),
and the Celery re-scan that re-scores recent scans when an address they touched is listed later."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from apps.identity.models import User
from apps.security.models import ReviewCase, ThreatListEntry, TransactionSimulation
from lykos.audit.models import AuditEvent
from tests.support.security import call, fresh_eoa


def run_import(path, *args: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    out, err = io.StringIO(), io.StringIO()
    call_command("security_import_threats", str(path), "--no-rescan", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_csv_import_reports_counts_and_is_idempotent(tmp_path, chain) -> None:  # type: ignore[no-untyped-def]
    a, b, c = fresh_eoa(), fresh_eoa(), fresh_eoa()
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "address,category,chain_id,note\n"
        f"{a},drainer,,inferno drainer\n"
        f"{b.lower()},phishing,{chain.chain_id},fake airdrop\n"
        "0x1234,scam,,\n"
        f"{c},unknown-kind,,\n"
    )
    out, err = run_import(feed, "--no-progress", "--source", "intel-feed")
    assert "4 row(s): 2 created, 0 updated, 0 unchanged, 2 invalid." in out
    assert "row 3: not an address" in err and "row 4: unknown category" in err
    entry = ThreatListEntry.objects.get(address=b)
    assert (entry.chain_id, entry.category, entry.source, entry.note) == (
        chain.chain_id,
        "phishing",
        "intel-feed",
        "fake airdrop",
    )
    assert ThreatListEntry.objects.get(address=a).chain is None

    out, _ = run_import(feed, "--no-progress", "--source", "intel-feed")
    assert "0 created, 0 updated, 2 unchanged, 2 invalid." in out
    assert ThreatListEntry.objects.count() == 2

    feed.write_text(f"address,category\n{a},sanctioned\n")
    out, _ = run_import(feed, "--no-progress", "--source", "intel-feed")
    assert "0 created, 1 updated, 0 unchanged" in out
    assert AuditEvent.objects.filter(event_type="security.threat_updated").count() == 1


@pytest.mark.django_db
def test_json_import_shows_a_progress_bar(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    entries = [{"address": fresh_eoa(), "category": "scam", "source": "json-feed"} for _ in range(3)]
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({"entries": entries}))
    out, _ = run_import(feed)
    assert "3 created" in out
    assert "threat list: 100%" in capsys.readouterr().err  # tqdm's bar, on the process's stderr
    assert set(ThreatListEntry.objects.values_list("source", flat=True)) == {"json-feed"}


@pytest.mark.django_db
def test_staff_manage_the_list_in_the_admin_and_it_is_audited(chain) -> None:  # type: ignore[no-untyped-def]
    staff = User.objects.create_superuser("analyst", "pw-analyst-123")
    client = Client()
    client.force_login(staff, backend="apps.identity.backends.StaffPasswordBackend")
    address = fresh_eoa()
    response = client.post(
        reverse("admin:security_threatlistentry_add"),
        {"address": address, "chain": "", "category": "phishing", "source": "analyst", "note": "", "active": "on"},
    )
    assert response.status_code == 302, response.content[:800]
    entry = ThreatListEntry.objects.get(address=address)
    response = client.post(
        reverse("admin:security_threatlistentry_changelist"), {"action": "deactivate", "_selected_action": [entry.pk]}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.active is False
    events = list(AuditEvent.objects.filter(subject_id=str(entry.pk)).values_list("event_type", "actor_id"))
    assert events == [("security.threat_created", str(staff.pk)), ("security.threat_updated", str(staff.pk))]
    assert client.get(reverse("admin:security_threatlistentry_changelist"), {"q": address}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_listing_an_address_later_rescores_recent_scans_on_the_worker(  # type: ignore[no-untyped-def]
    scene, celery_worker, tmp_path
) -> None:
    target = fresh_eoa()
    verdict = scene.scan([call(scene.token.functions.transfer(target, 10**18))])
    assert verdict.action != "BLOCK"

    feed = tmp_path / "late.csv"
    feed.write_text(f"address,category\n{target},drainer\n")
    out = io.StringIO()
    call_command("security_import_threats", str(feed), "--no-progress", stdout=out)  # queues the re-scan
    assert "1 created" in out.getvalue()

    deadline = time.monotonic() + 30
    simulation = TransactionSimulation.objects.get(pk=verdict.simulation_id)
    while simulation.rescored_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        simulation.refresh_from_db()
    assert simulation.rescored_at is not None, "the worker did not re-score the scan"
    assert simulation.action == "BLOCK"
    assert "threat_listed_address" in {w["kind"] for w in simulation.warnings}
    case = ReviewCase.objects.get(user=scene.user, open_reason="block_verdict")
    assert str(simulation.pk) in case.linked["simulations"]

"""Issue 16, acceptance 6 (security side): every review, freeze and threat-list action in the admin declares its
permission. Support staff (view only) read the queue and are refused each action with 403; a fraud reviewer runs
each one, and each is audited. Both groups come from the data migration."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.identity.models import User
from apps.security.models import KnownAddress, ReviewCase, ThreatListEntry
from apps.security.services import account_is_frozen, review_case_open, threat_entry_upsert
from lykos.audit.models import AuditEvent
from tests.support.security import fresh_eoa
from tests.support.staff import admin_client_for, staff_member

pytestmark = pytest.mark.django_db
CASES = "admin:security_reviewcase_changelist"
THREATS = "admin:security_threatlistentry_changelist"
CASE_ACTIONS = ["assign_to_me", "freeze_account", "unfreeze_account", "approve", "reject"]


@pytest.fixture
def case() -> ReviewCase:
    suspect = User.objects.create_user(username="suspect")
    return review_case_open(user=suspect, reason=ReviewCase.OpenReason.MANUAL, summary="looks odd")


@pytest.fixture
def entry() -> ThreatListEntry:
    entry, _ = threat_entry_upsert(address=fresh_eoa(), category="phishing", source="feed")
    return entry


def run_action(client, changelist: str, action: str, pk: int):  # type: ignore[no-untyped-def]
    return client.post(reverse(changelist), {"action": action, "_selected_action": [pk]})


def test_support_reads_the_queue_but_every_action_is_refused(case, entry) -> None:  # type: ignore[no-untyped-def]
    staff = staff_member("support_desk", "Support (read-only)")
    support = admin_client_for(staff)
    queue = support.get(reverse(CASES))
    assert queue.status_code == 200 and b"suspect" in queue.content
    assert b'value="freeze_account"' not in queue.content  # not offered
    assert support.get(reverse("admin:security_reviewcase_change", args=[case.pk])).status_code == 200

    for action in CASE_ACTIONS:  # and refused when posted anyway
        assert run_action(support, CASES, action, case.pk).status_code == 403, action
    for action in ("deactivate", "activate"):
        assert run_action(support, THREATS, action, entry.pk).status_code == 403, action
    assert support.get(reverse("admin:security_threatlistentry_add")).status_code == 403
    change = reverse("admin:security_threatlistentry_change", args=[entry.pk])
    changed = support.post(change, {"category": "scam", "source": "x", "note": "", "active": ""})
    assert changed.status_code == 403
    assert support.get(reverse("admin:security_knownaddress_add")).status_code == 403
    assert support.get(reverse("admin:security_reviewcase_add")).status_code == 403

    case.refresh_from_db()
    entry.refresh_from_db()
    assert case.status == "open" and case.assignee is None and not account_is_frozen(user=case.user)
    assert entry.active and entry.category == "phishing"
    assert not AuditEvent.objects.filter(actor_id=str(staff.pk)).exists()


def test_a_fraud_reviewer_runs_every_action_and_each_is_audited(case, entry) -> None:  # type: ignore[no-untyped-def]
    reviewer = staff_member("fraud_desk", "Fraud reviewer")
    client = admin_client_for(reviewer)
    for action in ("assign_to_me", "freeze_account"):
        assert run_action(client, CASES, action, case.pk).status_code == 302, action
    assert account_is_frozen(user=case.user)
    assert run_action(client, CASES, "unfreeze_account", case.pk).status_code == 302
    assert not account_is_frozen(user=case.user)
    assert run_action(client, CASES, "approve", case.pk).status_code == 302
    case.refresh_from_db()
    assert case.status != "open" and case.assignee == reviewer

    assert run_action(client, THREATS, "deactivate", entry.pk).status_code == 302
    entry.refresh_from_db()
    assert not entry.active
    spender = fresh_eoa()
    added = client.post(reverse("admin:security_knownaddress_add"), {"address": spender, "chain": "", "label": "DEX"})
    assert added.status_code == 302, added.content[:500]
    assert KnownAddress.objects.filter(address=spender).exists()

    mine = set(AuditEvent.objects.filter(actor_id=str(reviewer.pk)).values_list("event_type", flat=True))
    assert mine >= {
        "security.case_assigned",
        "security.account_frozen",
        "security.account_unfrozen",
        "security.case_approved",
        "security.threat_updated",
        "security.known_address_saved",
    }

    # A second case, rejected: the reviewer's other decision.
    other = review_case_open(user=case.user, reason=ReviewCase.OpenReason.MANUAL, summary="again")
    assert run_action(client, CASES, "reject", other.pk).status_code == 302
    assert AuditEvent.objects.filter(actor_id=str(reviewer.pk), event_type="security.case_rejected").exists()

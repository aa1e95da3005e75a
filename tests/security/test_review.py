"""Acceptance 4: BLOCK verdicts, clone flags, velocity and sponsorship refusals open review cases; a reviewer in the
admin (Django test client) freezes the account, which makes sponsorship and submission refuse with
`account_frozen` at once; unfreezing restores them; every action is in the audit log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.identity.models import Passkey, User
from apps.security.errors import AccountFrozen
from apps.security.models import ReviewCase, ReviewCaseEvent
from apps.security.services import (
    account_is_frozen,
    ensure_not_frozen,
    review_case_open,
    sponsorship_refusal_record,
)
from lykos.audit.models import AuditEvent
from lykos.errors import api_exception_handler
from tests.support.security import MAX_UINT256, call, fresh_eoa

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:security_reviewcase_changelist"


@pytest.fixture
def reviewer() -> User:
    return User.objects.create_superuser("reviewer", "correct horse battery staple")


@pytest.fixture
def admin_client(reviewer) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(reviewer, backend="apps.identity.backends.StaffPasswordBackend")
    return client


def admin_action(client: Client, action: str, case: ReviewCase) -> None:
    response = client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [case.pk]})
    assert response.status_code == 302, response.content[:500]


def test_a_block_verdict_opens_a_case_and_a_reviewer_freezes_and_unfreezes_the_account(  # type: ignore[no-untyped-def]
    scene, admin_client, reviewer
) -> None:
    unlimited = [call(scene.token.functions.approve(fresh_eoa(), MAX_UINT256))]
    verdict = scene.scan(unlimited)
    assert verdict.action == "BLOCK"
    case = ReviewCase.objects.get(user=scene.user, status="open")
    assert case.open_reason == "block_verdict"
    assert AuditEvent.objects.filter(event_type="security.case_opened", subject_id=str(case.pk)).exists()

    # The queue: listed, filterable, searchable, with the timeline on the case page.
    queue = admin_client.get(reverse(CHANGELIST), {"status": "open", "open_reason": "block_verdict"})
    assert queue.status_code == 200
    assert scene.user.username in queue.content.decode()
    assert admin_client.get(reverse(CHANGELIST), {"q": scene.user.username}).status_code == 200
    page = admin_client.get(reverse("admin:security_reviewcase_change", args=[case.pk]))
    assert page.status_code == 200 and "timeline" in page.content.decode().lower()

    ensure_not_frozen(user=scene.user)  # not frozen yet
    admin_action(admin_client, "freeze_account", case)
    assert account_is_frozen(user=scene.user)
    with pytest.raises(AccountFrozen) as refused:
        ensure_not_frozen(user=scene.user)  # what sponsorship and submit call first
    rendered = api_exception_handler(refused.value, {})
    assert rendered.status_code == 403
    assert rendered.data["error"]["code"] == "account_frozen"
    # The scan API answers at once with the freeze as a CRITICAL warning and BLOCK.
    frozen_scan = scene.api_scan([call(scene.token.functions.transfer(fresh_eoa(), 1))])
    assert frozen_scan["action"] == "BLOCK"
    assert frozen_scan["warnings"][0]["kind"] == "account_frozen"

    admin_action(admin_client, "unfreeze_account", case)
    assert not account_is_frozen(user=scene.user)
    ensure_not_frozen(user=scene.user)
    after = scene.api_scan([call(scene.token.functions.transfer(fresh_eoa(), 1))])
    assert "account_frozen" not in {w["kind"] for w in after["warnings"]}

    admin_action(admin_client, "approve", case)
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.closed_by) == ("approved", "legitimate", reviewer)
    timeline = list(case.events.values_list("kind", flat=True))
    assert timeline == ["opened", "frozen", "unfrozen", "approved"]
    audited = set(AuditEvent.objects.filter(actor_id=str(reviewer.pk)).values_list("event_type", "subject_id"))
    assert {
        ("security.account_frozen", str(scene.user.pk)),
        ("security.account_unfrozen", str(scene.user.pk)),
        ("security.case_approved", str(case.pk)),
    } <= audited
    assert AuditEvent.objects.get(event_type="security.account_frozen").actor_type == "staff"


def test_reject_and_assign_go_through_services_and_a_closed_case_is_not_closed_twice(  # type: ignore[no-untyped-def]
    scene, admin_client, reviewer
) -> None:
    case = review_case_open(user=scene.user, reason="manual", summary="suspicious")
    admin_action(admin_client, "assign_to_me", case)
    admin_action(admin_client, "reject", case)
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.assignee) == ("rejected", "fraudulent", reviewer)
    admin_action(admin_client, "approve", case)  # refused with a message, nothing changes
    case.refresh_from_db()
    assert case.status == "rejected"
    assert AuditEvent.objects.filter(event_type="security.case_approved", subject_id=str(case.pk)).count() == 0
    assert {"security.case_assigned", "security.case_rejected"} <= set(
        AuditEvent.objects.filter(subject_id=str(case.pk)).values_list("event_type", flat=True)
    )


def test_a_reviewer_opens_a_case_by_hand_in_the_admin(scene, admin_client, reviewer) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.post(
        reverse("admin:security_reviewcase_add"),
        {"user": str(scene.user.pk), "priority": "urgent", "summary": "reported by support"},
    )
    assert response.status_code == 302, response.content[:1000]
    case = ReviewCase.objects.get(user=scene.user, open_reason="manual")
    assert (case.priority, case.opened_by, case.summary) == ("urgent", reviewer, "reported by support")
    assert AuditEvent.objects.filter(event_type="security.case_opened", actor_id=str(reviewer.pk)).exists()


def test_review_case_open_is_idempotent_per_user_and_reason(scene) -> None:  # type: ignore[no-untyped-def]
    first = review_case_open(user=scene.user, reason="manual", linked={"transactions": ["tx-1"]})
    again = review_case_open(user=scene.user, reason="manual", priority="high", linked={"transactions": ["tx-2"]})
    assert first.pk == again.pk
    again.refresh_from_db()
    assert again.linked == {"transactions": ["tx-1", "tx-2"]}
    assert again.priority == "high"
    assert list(again.events.values_list("kind", flat=True)) == ["opened", "linked"]
    assert ReviewCase.objects.filter(user=scene.user, status="open").count() == 1


def test_a_sign_count_regression_opens_a_high_priority_case_with_the_device(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("clone_victim")
    assert wallet.login(sign_count_step=10).status_code == 200
    credential = next(iter(wallet.authenticator.credentials.values()))
    credential.sign_count = 3  # a cloned authenticator with an older counter
    assert wallet.login(sign_count_step=1).status_code == 401
    device = Passkey.objects.get(user__username="clone_victim")
    assert device.status == "flagged"
    case = ReviewCase.objects.get(user=device.user, open_reason="possible_clone")
    assert case.priority == "high"
    assert list(case.devices.all()) == [device]
    assert case.linked["devices"] == [str(device.pk)]


def test_repeated_sponsorship_refusals_open_a_case(scene, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_SPONSORSHIP_REFUSALS_MAX = 3
    assert sponsorship_refusal_record(user=scene.user, rule="budget", transaction_id="t1") is None
    assert sponsorship_refusal_record(user=scene.user, rule="budget", transaction_id="t2") is None
    case = sponsorship_refusal_record(user=scene.user, rule="allowlist", transaction_id="t3")
    assert case is not None and case.open_reason == "sponsorship_refusals"
    assert sponsorship_refusal_record(user=scene.user, rule="budget", transaction_id="t4").pk == case.pk
    case.refresh_from_db()
    assert case.linked == {"transactions": ["t3", "t4"]}


def test_feedback_after_a_warning_joins_the_case_timeline(scene) -> None:  # type: ignore[no-untyped-def]
    body = scene.api_scan([call(scene.token.functions.approve(fresh_eoa(), MAX_UINT256))])
    assert body["action"] == "BLOCK"
    response = scene.wallet.authed(
        "post",
        "/api/v1/security/feedback",
        {"simulation_id": body["simulation_id"], "decision": "cancelled", "note": "looked wrong"},
    )
    assert response.status_code == 201
    case = ReviewCase.objects.get(user=scene.user, open_reason="block_verdict")
    event = case.events.get(kind=ReviewCaseEvent.Kind.FEEDBACK)
    assert event.data["decision"] == "cancelled" and event.message == "looked wrong"
    # Twice is a conflict.
    again = scene.wallet.authed(
        "post", "/api/v1/security/feedback", {"simulation_id": body["simulation_id"], "decision": "proceeded"}
    )
    assert again.status_code == 409

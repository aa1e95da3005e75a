"""G0 in the transaction flow: a BLOCK verdict stops the flow, a frozen account can neither prepare, get
sponsorship nor submit, and unfreezing restores it."""

import pytest

from apps.identity.models import User
from apps.paymaster.models import SponsorshipPolicy, Transaction
from apps.security import services as security
from apps.security.models import ReviewCase
from tests.support.transactions import account_of, fund, prepare, sign, wait_final

pytestmark = pytest.mark.django_db(transaction=True)

SCAMMER = "0x00000000000000000000000000000000000bAD00"


def test_a_block_verdict_stops_the_flow_with_its_warnings(wallet, chain, devchain, w3) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("blocked_sender")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    security.threat_entry_upsert(address=SCAMMER.lower(), category="phishing", source="test")
    response = prepare(
        wallet, {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "5", "to": SCAMMER.lower()}}
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "risk_blocked"
    assert error["details"]["verdict"]["action"] == "BLOCK"
    assert "threat_listed_address" in {w["kind"] for w in error["details"]["verdict"]["warnings"]}
    assert Transaction.objects.count() == 0
    assert ReviewCase.objects.filter(user_id=tokens["user"]["id"], open_reason="block_verdict").exists()


def admin_action(admin_client, case: ReviewCase, action: str) -> None:  # type: ignore[no-untyped-def]
    """What a reviewer does in the admin: select the case, run the action."""
    response = admin_client.post(
        "/admin/security/reviewcase/", {"action": action, "_selected_action": [case.pk]}, follow=True
    )
    assert response.status_code == 200


def test_a_frozen_account_cannot_prepare_or_submit_until_unfrozen(  # type: ignore[no-untyped-def]
    wallet, admin_client, admin_user, sponsor_chain, celery_worker
) -> None:
    SponsorshipPolicy.objects.create(name="Frozen test", global_budget_wei=10**18, deny_risky_operations=False)
    tokens = wallet.sign_up("frozen_sender")
    user = User.objects.get(pk=tokens["user"]["id"])
    body = {
        "chain_id": sponsor_chain.chain_id,
        "calls": [{"to": "0x000000000000000000000000000000000000dEaD", "value": "0"}],
    }
    prepared = prepare(wallet, body).json()
    assert prepared["sponsored"] is True

    case = security.review_case_open(user=user, reason="manual", opened_by=admin_user, summary="looks odd")
    admin_action(admin_client, case, "freeze_account")
    assert security.account_is_frozen(user=user)
    refused = prepare(wallet, {**body, "calls": [{**body["calls"][0], "data": "0x01"}]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_frozen"
    signed = sign(wallet, prepared)
    assert signed.status_code == 403 and signed.json()["error"]["code"] == "account_frozen"
    assert Transaction.objects.get(pk=prepared["id"]).status == "prepared"

    admin_action(admin_client, case, "unfreeze_account")
    assert not security.account_is_frozen(user=user)
    assert sign(wallet, prepared).status_code == 200
    assert wait_final(wallet, prepared["id"])["status"] == "included"


def test_repeated_sponsorship_refusals_open_a_review_case(wallet, sponsor_chain, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_SPONSORSHIP_REFUSALS_MAX = 2
    SponsorshipPolicy.objects.create(name="Tiny", per_op_max_cost_wei=1)
    tokens = wallet.sign_up("refused_often")
    body = {
        "chain_id": sponsor_chain.chain_id,
        "calls": [{"to": "0x000000000000000000000000000000000000dEaD", "value": "0"}],
        "sponsorship": "required",
    }
    for data in ("0x01", "0x02"):
        response = prepare(wallet, {**body, "calls": [{**body["calls"][0], "data": data}]})
        assert response.json()["error"]["details"]["rule"] == "over_per_op_cost"
    assert ReviewCase.objects.filter(user_id=tokens["user"]["id"], open_reason="sponsorship_refusals").exists()

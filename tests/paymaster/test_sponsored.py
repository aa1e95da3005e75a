"""Gas sponsored by our paymaster: end to end, every policy rule's refusal, and budgets under concurrency."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from apps.chain import contracts
from apps.chain.dev import paymaster_deposit
from apps.paymaster.models import SponsorshipLedgerEntry, SponsorshipPolicy, Transaction
from tests.support.transactions import account_of, fund, prepare, sign, wait_final

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENT = "0x000000000000000000000000000000000000bEEF"
ONE_ETH = 10**18


def deploy_token(w3, devchain):  # type: ignore[no-untyped-def]
    artifact = contracts.load_artifact("LykosTestToken")
    sender = devchain.funded_keys[4].address
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor().transact({"from": sender})
    )
    return w3.eth.contract(address=receipt.contractAddress, abi=artifact.abi)


def policy(**fields) -> SponsorshipPolicy:  # type: ignore[no-untyped-def]
    return SponsorshipPolicy.objects.create(name=fields.pop("name", "Default"), **fields)


def test_a_new_user_with_no_gas_sends_eth_and_an_erc20_sponsored(
    wallet, sponsor_chain, sponsor_devchain, sponsor_w3, celery_worker
) -> None:  # type: ignore[no-untyped-def]
    w3, devchain = sponsor_w3, sponsor_devchain
    # The token was deployed a minute ago, which G0 rightly warns about: this policy pays for WARN verdicts.
    policy(global_budget_wei=ONE_ETH, per_user_max_ops=5, deny_risky_operations=False)
    tokens = wallet.sign_up("sponsored_one")
    account = account_of(tokens, sponsor_chain.chain_id)
    token = deploy_token(w3, devchain)
    w3.eth.wait_for_transaction_receipt(
        token.functions.mint(account.address, 1_000).transact({"from": devchain.funded_keys[4].address})
    )
    fund(w3, devchain, account.address, 5_000)  # ETH to send, not to pay gas with: 5,000 wei pays for nothing
    deposit_before = paymaster_deposit(devchain)

    transfer_data = "0x" + token.functions.transfer(RECIPIENT, 250)._encode_transaction_data()[2:]
    prepared = prepare(
        wallet,
        {
            "chain_id": sponsor_chain.chain_id,
            "calls": [
                {"to": RECIPIENT, "value": "4000", "data": "0x"},
                {"to": token.address, "value": "0", "data": transfer_data},
            ],
            "sponsorship": "required",
        },
    )
    assert prepared.status_code == 201, prepared.content
    body = prepared.json()
    assert body["sponsored"] and body["policy"] == "Default" and body["user_op"]["paymaster"] == devchain.paymaster
    assert body["user_op"]["factory"] == devchain.factory
    ledger = SponsorshipLedgerEntry.objects.get(transaction_id=body["id"])
    assert ledger.status == "reserved" and ledger.reserved_wei == int(body["max_cost_wei"])

    assert sign(wallet, body).status_code == 200
    final = wait_final(wallet, body["id"])
    assert final["status"] == "included" and final["success"] is True

    # Balances on the chain: exactly the values moved, no gas paid by the user.
    assert w3.eth.get_balance(account.address) == 1_000
    assert token.functions.balanceOf(account.address).call() == 750
    assert token.functions.balanceOf(RECIPIENT).call() == 250
    cost = int(final["actual_gas_cost_wei"])
    assert deposit_before - paymaster_deposit(devchain) == cost
    ledger.refresh_from_db()
    assert ledger.status == "settled" and ledger.settled_wei == cost
    account.refresh_from_db()
    assert account.deployed


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"per_user_budget_wei": 1}, "over_per_user_budget"),
        ({"starts_at": timezone.now() + timedelta(days=1)}, "outside_time_window"),
        (
            {"ends_at": timezone.now() - timedelta(seconds=1), "starts_at": timezone.now() - timedelta(days=1)},
            "outside_time_window",
        ),
        ({"allowed_targets": {"0x00000000000000000000000000000000000000A1": ["*"]}}, "target_not_allowed"),
        ({"per_op_max_cost_wei": 1}, "over_per_op_cost"),
        ({"global_budget_wei": 1}, "over_global_budget"),
        ({"blocked_senders": ["__SENDER__"]}, "sender_blocked"),
        ({"allowed_senders": ["0x00000000000000000000000000000000000000A2"]}, "sender_not_allowed"),
    ],
)
def test_each_policy_rule_refuses_with_its_name(wallet, sponsor_chain, fields, rule) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("ruled")
    sender = account_of(tokens, sponsor_chain.chain_id).address
    policy(**{k: ([sender] if v == ["__SENDER__"] else v) for k, v in fields.items()})
    response = prepare(
        wallet,
        {"chain_id": sponsor_chain.chain_id, "calls": [{"to": RECIPIENT, "value": "0"}], "sponsorship": "required"},
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "sponsorship_refused" and error["details"]["rule"] == rule, error
    assert Transaction.objects.count() == 0 and SponsorshipLedgerEntry.objects.count() == 0


def test_op_count_and_new_user_allowance(wallet, sponsor_chain) -> None:  # type: ignore[no-untyped-def]
    policy(per_user_max_ops=1)
    wallet.sign_up("counted")
    body = {"chain_id": sponsor_chain.chain_id, "calls": [{"to": RECIPIENT, "value": "0"}], "sponsorship": "required"}
    assert prepare(wallet, body).status_code == 201
    refused = prepare(wallet, {**body, "calls": [{"to": RECIPIENT, "value": "0", "data": "0x01"}]})
    assert refused.json()["error"]["details"]["rule"] == "over_op_count"

    SponsorshipPolicy.objects.update(per_user_max_ops=None, new_user_free_ops=1)
    refused = prepare(wallet, {**body, "calls": [{"to": RECIPIENT, "value": "0", "data": "0x02"}]})
    assert refused.json()["error"]["details"]["rule"] == "new_user_allowance_used"


def test_an_expired_prepare_releases_its_reservation(wallet, sponsor_chain) -> None:  # type: ignore[no-untyped-def]
    from apps.paymaster.services import transactions_expire_stale

    policy(global_budget_wei=ONE_ETH)
    wallet.sign_up("expiring")
    body = prepare(wallet, {"chain_id": sponsor_chain.chain_id, "calls": [{"to": RECIPIENT, "value": "0"}]}).json()
    assert body["sponsored"], body
    Transaction.objects.filter(pk=body["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert transactions_expire_stale() == 1
    assert SponsorshipLedgerEntry.objects.get(transaction_id=body["id"]).status == "released"


def test_fifty_concurrent_requests_against_a_budget_for_ten(make_wallet, sponsor_chain, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}
    wallets = [make_wallet() for _ in range(50)]
    for i, w in enumerate(wallets):
        w.sign_up(f"crowd_{i}")
    probe = policy(name="Probe")
    body = {"chain_id": sponsor_chain.chain_id, "calls": [{"to": RECIPIENT, "value": "0"}], "sponsorship": "required"}
    one = prepare(wallets[0], body).json()
    max_cost = int(one["max_cost_wei"])
    probe.enabled = False
    probe.save()
    # Room for ten operations like that one (each reserves its own worst case, within a few percent of it).
    budget = max_cost * 10 + max_cost // 2
    capped = policy(name="Capped", global_budget_wei=budget)

    def attempt(w):  # type: ignore[no-untyped-def]
        try:
            return APIClient().post(
                "/api/v1/transactions",
                {**body, "calls": [{"to": RECIPIENT, "value": "0", "data": "0x01"}]},
                format="json",
                HTTP_AUTHORIZATION=f"Bearer {w.tokens['access_token']}",
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(attempt, wallets))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 10, [r.json() for r in results if r.status_code not in (201, 422)]
    assert statuses.count(422) == 40
    assert {r.json()["error"]["details"]["rule"] for r in results if r.status_code == 422} == {"over_global_budget"}
    reserved = SponsorshipLedgerEntry.objects.filter(policy=capped).aggregate(total=Sum("reserved_wei"))["total"]
    assert reserved <= budget

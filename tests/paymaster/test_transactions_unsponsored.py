"""The user pays: prepare -> passkey sign -> bundler -> receipt, with validation and signing refusals."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.chain import contracts
from apps.chain.clients import BundlerClient
from apps.identity.models import RewardEntry
from apps.paymaster.models import Transaction
from tests.support.transactions import account_of, fund, prepare, sign, wait_final

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENT = "0x000000000000000000000000000000000000dEaD"


def test_native_transfer_deploys_the_account_and_lands(wallet, chain, devchain, w3, celery_worker) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("payer_one")
    account = account_of(tokens, chain.chain_id)
    fund(w3, devchain, account.address, 10**18)
    before_recipient = w3.eth.get_balance(RECIPIENT)

    prepared = prepare(
        wallet, {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "12345", "to": RECIPIENT}}
    )
    assert prepared.status_code == 201, prepared.content
    body = prepared.json()
    assert body["status"] == "prepared" and body["sponsored"] is False
    assert body["user_op"]["factory"] == devchain.factory  # undeployed: the first op deploys it
    assert body["publicKey"]["challenge"]  # the userOpHash as a WebAuthn challenge
    assert body["verdict"]["action"] == "NONE"

    signed = sign(wallet, body)
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] in {"submitted", "included"}
    final = wait_final(wallet, body["id"])
    assert final["status"] == "included" and final["success"] is True

    assert w3.eth.get_balance(RECIPIENT) - before_recipient == 12345
    assert len(w3.eth.get_code(account.address)) > 0
    cost = int(final["actual_gas_cost_wei"])
    # The account prefunded the worst case; the EntryPoint refunded the unused part to its deposit there.
    entry_point = contracts.bind(w3, "EntryPoint", devchain.entry_point)
    deposit = entry_point.functions.balanceOf(account.address).call()
    assert w3.eth.get_balance(account.address) + deposit == 10**18 - 12345 - cost
    account.refresh_from_db()
    assert account.deployed
    assert RewardEntry.objects.filter(user_id=tokens["user"]["id"], kind="first_transaction").count() == 1

    # A second transaction: no factory any more, and no second first-transaction reward.
    second = prepare(
        wallet, {"chain_id": chain.chain_id, "calls": [{"to": RECIPIENT, "value": "1", "data": "0x"}]}
    ).json()
    assert "factory" not in second["user_op"]
    sign(wallet, second)
    assert wait_final(wallet, second["id"])["status"] == "included"
    assert RewardEntry.objects.filter(user_id=tokens["user"]["id"], kind="first_transaction").count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"transfer": {"token": "native", "amount": "1", "to": "0x000000000000000000000000000000000000DeAd"}},
            "invalid_address",
        ),
        ({"transfer": {"token": "native", "amount": "1", "to": "0x1234"}}, "invalid_address"),
        ({"transfer": {"token": "native", "amount": "-5", "to": RECIPIENT}}, "invalid_amount"),
        ({"transfer": {"token": "native", "amount": 1.5, "to": RECIPIENT}}, "invalid_amount"),
        ({"transfer": {"token": "native", "amount": "²", "to": RECIPIENT}}, "invalid_amount"),  # isdigit() says yes
        ({"transfer": {"token": "native", "amount": "1_000", "to": RECIPIENT}}, "invalid_amount"),  # int() says yes
        ({"transfer": {"token": "native", "amount": "0", "to": RECIPIENT}}, "invalid_amount"),
        ({"transfer": {"token": "native", "amount": str(2**256), "to": RECIPIENT}}, "invalid_amount"),
        ({"calls": [{"to": RECIPIENT, "value": "0", "data": "0xabc"}]}, "invalid_calldata"),
        ({"calls": [{"to": RECIPIENT, "value": "0", "data": "nothex"}]}, "invalid_calldata"),
        ({"calls": []}, "validation_error"),
        ({}, "validation_error"),
        (
            {"calls": [{"to": RECIPIENT}], "transfer": {"token": "native", "amount": "1", "to": RECIPIENT}},
            "validation_error",
        ),
    ],
)
def test_bad_intents_are_refused_and_write_nothing(wallet, chain, body, code) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("bad_intent")
    response = prepare(wallet, {"chain_id": chain.chain_id, **body})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["details"]["fields"]
    assert Transaction.objects.count() == 0


def test_unknown_chain_and_unfunded_account_are_refused(wallet, chain) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("poor_user")
    transfer = {"token": "native", "amount": "1", "to": RECIPIENT}
    unknown = prepare(wallet, {"chain_id": 424242, "transfer": transfer})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "chain_not_served"
    assert unknown.json()["error"]["details"]["fields"] == {"chain_id": ["unknown"]}
    poor = prepare(wallet, {"chain_id": chain.chain_id, "transfer": transfer})
    assert poor.status_code == 422 and poor.json()["error"]["code"] == "insufficient_funds"
    required = prepare(wallet, {"chain_id": chain.chain_id, "transfer": transfer, "sponsorship": "required"})
    assert required.status_code == 422 and required.json()["error"]["code"] == "sponsorship_refused"
    assert Transaction.objects.count() == 0


def test_idempotency_key_replays_the_first_answer(wallet, chain, devchain, w3) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("idem_user")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    body = {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "7", "to": RECIPIENT}}
    first = prepare(wallet, body, key="prepare-0001")
    again = prepare(wallet, body, key="prepare-0001")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.count() == 1
    other = prepare(wallet, {**body, "transfer": {**body["transfer"], "amount": "8"}}, key="prepare-0001")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert Transaction.objects.count() == 1


def test_signing_refusals_send_nothing(wallet, chain, devchain, w3, settings) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("refused_signer")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    body = {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "3", "to": RECIPIENT}}
    earlier = prepare(wallet, {**body, "transfer": {**body["transfer"], "amount": "4"}}).json()
    first = prepare(wallet, body).json()  # supersedes `earlier`: one nonce, one live operation
    assert Transaction.objects.get(pk=earlier["id"]).status == "expired"
    assert prepare(wallet, body).json()["id"] == first["id"]  # the same intent again is the same operation
    bundler = BundlerClient(url=devchain.bundler_url)

    # A tampered signature.
    credential = wallet.authenticator.get(first["publicKey"])
    credential["response"]["signature"] = credential["response"]["signature"][:-4] + "AAAA"
    tampered = sign(wallet, first, credential=credential)
    assert tampered.status_code == 400 and tampered.json()["error"]["code"] in {
        "invalid_signature",
        "malformed_credential",
    }

    # An assertion made for another transaction (the superseded one).
    for_earlier = wallet.authenticator.get(earlier["publicKey"])
    crossed = sign(wallet, first, credential=for_earlier)
    assert crossed.status_code == 400 and crossed.json()["error"]["code"] == "challenge_mismatch"
    assert Transaction.objects.get(pk=first["id"]).status == "prepared"

    # An expired prepare.
    Transaction.objects.filter(pk=first["id"]).update(expires_at="2000-01-01T00:00:00Z")
    expired = sign(wallet, first)
    assert expired.status_code == 422 and expired.json()["error"]["code"] == "prepare_expired"
    assert Transaction.objects.get(pk=first["id"]).status == "expired"

    for tx in (earlier, first):
        assert bundler.get_user_operation_by_hash(tx["user_op_hash"]) is None


def test_twenty_concurrent_signs_send_one_operation(wallet, chain, devchain, w3, settings, celery_worker) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1000/m"}
    tokens = wallet.sign_up("racer")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    prepared = prepare(
        wallet, {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "5", "to": RECIPIENT}}
    ).json()
    credential = wallet.authenticator.get(prepared["publicKey"])

    def attempt(_: int):  # type: ignore[no-untyped-def]
        try:
            return APIClient().post(
                f"/api/v1/transactions/{prepared['id']}/sign",
                {"credential": credential},
                format="json",
                HTTP_AUTHORIZATION=f"Bearer {wallet.tokens['access_token']}",
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [409] * 19, [r.content for r in results if r.status_code not in (200, 409)]
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"transaction_not_signable"}
    tx = Transaction.objects.get(pk=prepared["id"])
    assert tx.submit_attempts == 1
    assert wait_final(wallet, prepared["id"])["status"] == "included"


def test_sign_idempotency_key_replays_the_first_result(wallet, chain, devchain, w3, celery_worker) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("idem_signer")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    prepared = prepare(
        wallet, {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "9", "to": RECIPIENT}}
    ).json()
    credential = wallet.authenticator.get(prepared["publicKey"])
    first = sign(wallet, prepared, credential=credential, key="sign-key-0001")
    again = sign(wallet, prepared, credential=credential, key="sign-key-0001")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.get(pk=prepared["id"]).submit_attempts == 1


def test_history_lists_filters_and_hides_other_users(wallet, make_wallet, chain, devchain, w3) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("historian")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    tx = prepare(
        wallet, {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "1", "to": RECIPIENT}}
    ).json()
    listed = wallet.authed("get", "/api/v1/transactions?status=prepared").json()
    assert [t["id"] for t in listed["results"]] == [tx["id"]]
    assert wallet.authed("get", "/api/v1/transactions?status=included").json()["results"] == []
    assert wallet.authed("get", "/api/v1/transactions?status=bogus").status_code == 400
    other = make_wallet()
    other.sign_up("snoop")
    assert other.authed("get", f"/api/v1/transactions/{tx['id']}").status_code == 404
    assert other.authed("get", "/api/v1/transactions").json()["results"] == []
    response = sign(other, tx, credential=wallet.authenticator.get(tx["publicKey"]))
    assert response.status_code == 404


def test_stored_answers_are_forgotten_after_the_retention_window(wallet, chain, devchain, w3) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from lykos.idempotency import idempotency_records_purge
    from lykos.models import IdempotencyRecord

    tokens = wallet.sign_up("forgetful")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    body = {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "11", "to": RECIPIENT}}
    assert prepare(wallet, body, key="purge-key-0001").status_code == 201
    assert idempotency_records_purge() == 0
    IdempotencyRecord.objects.update(expires_at=timezone.now())
    assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.exists()

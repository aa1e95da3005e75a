"""A bundler that goes down between sign and receipt: the operation waits `signed`, is retried, lands once."""

import time

import pytest

from apps.chain import contracts
from apps.paymaster.models import Transaction
from tests.support.transactions import account_of, fund, prepare, sign, wait_final

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENT = "0x000000000000000000000000000000000000cafE"


def test_bundler_killed_after_sign_the_op_lands_once_when_it_returns(
    wallet, chain, devchain, w3, celery_worker
) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("outage_user")
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    prepared = prepare(
        wallet, {"chain_id": chain.chain_id, "transfer": {"token": "native", "amount": "77", "to": RECIPIENT}}
    )
    assert prepared.status_code == 201, prepared.content
    body = prepared.json()
    before = w3.eth.get_balance(RECIPIENT)

    devchain.stop_bundler()
    try:
        signed = sign(wallet, body)
        # Accepted and kept: the signature is valid, only the bundler is missing.
        assert signed.status_code == 200 and signed.json()["status"] == "signed"
        time.sleep(4)  # the worker retries against the dead bundler meanwhile
        tx = Transaction.objects.get(pk=body["id"])
        assert tx.status == "signed" and tx.submit_attempts >= 2 and "bundler unavailable" in tx.last_error
    finally:
        devchain.start_bundler()

    final = wait_final(wallet, body["id"], timeout=90)
    assert final["status"] == "included" and final["success"] is True
    assert w3.eth.get_balance(RECIPIENT) - before == 77  # sent once, not once per retry
    entry_point = contracts.bind(w3, "EntryPoint", devchain.entry_point)
    events = entry_point.events.UserOperationEvent.get_logs(
        from_block=0, argument_filters={"userOpHash": bytes.fromhex(body["user_op_hash"][2:])}
    )
    assert len(events) == 1

"""A person sends from their smart account in Chromium: the virtual authenticator signs a real UserOperation."""

import pytest

from apps.chain.models import Account
from apps.paymaster.models import SponsorshipPolicy, Transaction
from tests.support.browser import add_virtual_authenticator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

RECIPIENT = "0x000000000000000000000000000000000000bEEF"


def test_sign_up_then_send_a_sponsored_operation_that_lands(
    page, live_origin, sponsor_chain, sponsor_devchain, sponsor_w3, celery_worker
) -> None:  # type: ignore[no-untyped-def]
    SponsorshipPolicy.objects.create(name="Welcome", global_budget_wei=10**18, per_user_max_ops=3)
    add_virtual_authenticator(page)
    page.goto(f"{live_origin}/signup")
    page.fill("#username", "browser_sender")
    page.click("#signup-button")
    page.wait_for_selector("#status[data-state='signed-in']", timeout=30000)

    # A friend sends the new account 10 wei; it has nothing to pay gas with.
    account = Account.objects.get(user__username="browser_sender")
    friend = sponsor_devchain.funded_keys[5].address
    sponsor_w3.eth.wait_for_transaction_receipt(
        sponsor_w3.eth.send_transaction({"from": friend, "to": account.address, "value": 10})
    )
    before = sponsor_w3.eth.get_balance(RECIPIENT)

    page.goto(f"{live_origin}/send")
    page.wait_for_selector("#chain option", state="attached", timeout=30000)
    page.fill("#to", RECIPIENT)
    page.fill("#amount", "0")
    page.click("#review-button")
    page.wait_for_selector("#status[data-state='error']", timeout=30000)
    assert "invalid_amount" in page.text_content("#status")

    page.fill("#amount", "7")
    page.click("#review-button")
    page.wait_for_selector("#status[data-state='reviewing']", timeout=20000)
    assert "Gas is on us" in page.text_content("#review-text")
    page.click("#confirm-button")
    page.wait_for_selector("#status[data-state='included']", timeout=60000)

    tx = Transaction.objects.get(status="included")
    assert tx.sponsored and tx.success and tx.signed_by.user.username == "browser_sender"
    assert sponsor_w3.eth.get_balance(RECIPIENT) - before == 7
    assert sponsor_w3.eth.get_balance(account.address) == 3
    assert len(sponsor_w3.eth.get_code(account.address)) > 0

"""Issue 16, acceptance 2: a passkey added with a valid step-up becomes an owner of the account on both test
chains, through the owner change the flow prepares (signed by the existing device), and the owner's verified
email (Django outbox) and phone (test SMS gateway) are told about it."""

import re

import pytest
from django.core import mail

from apps.chain.models import Account
from apps.paymaster.models import SponsorshipPolicy, Transaction
from apps.paymaster.services import transaction_signing_options
from apps.social_profile.adapters import sms
from tests.support.authenticator import SoftAuthenticator
from tests.support.transactions import prepare, sign, wait_final

pytestmark = pytest.mark.django_db(transaction=True)

BURN = "0x000000000000000000000000000000000000dEaD"
AGENT = "LyKosWallet/2.1 (iPhone; iOS 19.1)"


def verify_channel(wallet, kind: str, value: str) -> None:  # type: ignore[no-untyped-def]
    started = wallet.authed(
        "post", f"/api/v1/verification/{kind}", {kind: value}, step_up=("channel_change", {kind: value})
    )
    assert started.status_code == 201, started.content
    text = mail.outbox[-1].body if kind == "email" else sms.outbox[-1].body
    code = re.search(r"(\d{6})", text).group(1)  # type: ignore[union-attr]
    body = {"challenge_id": started.json()["challenge_id"], "code": code}
    assert wallet.authed("post", "/api/v1/verification/confirm", body).status_code == 200


def test_a_stepped_up_passkey_becomes_an_owner_on_both_chains_and_is_announced(  # type: ignore[no-untyped-def]
    wallet, sponsor_chain, sponsor_chain_b, celery_worker
) -> None:
    SponsorshipPolicy.objects.create(name="Owners", global_budget_wei=10**18, deny_risky_operations=False)
    tokens = wallet.sign_up("two_chains")
    phone = wallet.authenticator
    verify_channel(wallet, "email", "two.chains@example.com")
    verify_channel(wallet, "phone", "+14155550177")
    mail.outbox.clear()
    sms.outbox.clear()

    # Without a step-up the add does not even start; with one, it does.
    refused = wallet.authed("post", "/api/v1/devices/options")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "step_up_required"
    laptop = SoftAuthenticator()
    device = wallet.add_device(laptop, name="Laptop", HTTP_USER_AGENT=AGENT, REMOTE_ADDR="81.2.69.160")

    # The alert reached both verified channels, naming the device, its user agent and where it was added from.
    [email] = mail.outbox
    assert email.to == ["two.chains@example.com"] and AGENT in email.body and "United Kingdom" in email.body
    [text] = sms.outbox
    assert text.to == "+14155550177" and "Laptop" in text.body

    # One owner change per chain, prepared for the phone (already an owner) to sign; both land.
    chain_ids = sorted([sponsor_chain.chain_id, sponsor_chain_b.chain_id])
    changes = Transaction.objects.filter(purpose="owner_add", subject_device_id=device["id"]).order_by("chain_id")
    assert [c.chain_id for c in changes] == chain_ids
    for change in changes:
        options = transaction_signing_options(tx=change)
        assert {c["id"] for c in options["allowCredentials"]} == {tokens["device"]["credential_id"]}
        body = wallet.authed("get", f"/api/v1/transactions/{change.id}").json()
        signed = sign(wallet, {**body, "publicKey": options}, credential=phone.get(options))
        assert signed.status_code == 200, signed.content
    for change in changes:
        assert wait_final(wallet, str(change.id))["status"] == "included"

    accounts = Account.objects.filter(user_id=tokens["user"]["id"], chain_id__in=chain_ids)
    assert len(accounts) == 2 and len({a.address for a in accounts}) == 1
    assert all(device["id"] in [str(o) for o in account.owners] for account in accounts)

    # On-chain, not only in our mirror: the new passkey now signs operations that land on each chain.
    for chain_id in chain_ids:
        transfer = {"chain_id": chain_id, "calls": [{"to": BURN, "value": "0"}], "device_id": device["id"]}
        prepared = prepare(wallet, transfer)
        assert prepared.status_code == 201, prepared.content
        signed = sign(wallet, prepared.json(), credential=laptop.get(prepared.json()["publicKey"]))
        assert signed.status_code == 200, signed.content
        assert wait_final(wallet, prepared.json()["id"])["status"] == "included"

"""Adding and revoking a passkey device is mirrored on-chain by an owner-change operation signed by an owner."""

import pytest

from apps.chain.errors import BundlerError
from apps.chain.models import Account
from apps.chain.userops import Call
from apps.paymaster.models import SponsorshipPolicy, Transaction
from tests.support import accounts as support
from tests.support.authenticator import SoftAuthenticator
from tests.support.transactions import account_of, prepare, sign, wait_final

pytestmark = pytest.mark.django_db(transaction=True)

BURN = "0x000000000000000000000000000000000000dEaD"


def test_device_added_then_revoked_on_chain(wallet, sponsor_chain, sponsor_devchain, sponsor_w3, celery_worker) -> None:  # type: ignore[no-untyped-def]
    SponsorshipPolicy.objects.create(name="Owners", global_budget_wei=10**18, deny_risky_operations=False)
    tokens = wallet.sign_up("two_devices")
    phone = wallet.authenticator
    laptop = SoftAuthenticator()
    laptop_device = wallet.add_device(laptop, name="Laptop")

    # The new device is pending on-chain: an owner-change op waits for the phone's signature.
    add_op = Transaction.objects.get(purpose="owner_add", subject_device_id=laptop_device["id"])
    assert add_op.status == "prepared"
    account = account_of(tokens, sponsor_chain.chain_id)
    assert laptop_device["id"] not in account.owners
    body = wallet.authed("get", f"/api/v1/transactions/{add_op.id}").json()

    # The laptop cannot sign for the account yet.
    transfer = {
        "chain_id": sponsor_chain.chain_id,
        "calls": [{"to": BURN, "value": "0"}],
        "device_id": laptop_device["id"],
    }
    from apps.paymaster.services import transaction_signing_options

    options = transaction_signing_options(tx=add_op)
    assert {c["id"] for c in options["allowCredentials"]} == {tokens["device"]["credential_id"]}
    signed = sign(wallet, {**body, "publicKey": options}, credential=phone.get(options))
    assert signed.status_code == 200, signed.content
    assert wait_final(wallet, str(add_op.id))["status"] == "included"
    account.refresh_from_db()
    assert laptop_device["id"] in account.owners

    # Now the laptop signs an ordinary transaction that lands.
    prepared = prepare(wallet, transfer).json()
    assert sign(wallet, prepared, credential=laptop.get(prepared["publicKey"])).status_code == 200
    assert wait_final(wallet, prepared["id"])["status"] == "included"

    # Revoke the laptop: an owner removal is prepared; the phone signs it.
    assert (
        wallet.authed(
            "delete",
            f"/api/v1/devices/{laptop_device['id']}",
            step_up=("device_revoke", {"device_id": laptop_device["id"]}),
        ).status_code
        == 200
    )
    remove_op = Transaction.objects.get(purpose="owner_remove", subject_device_id=laptop_device["id"])
    options = transaction_signing_options(tx=remove_op)
    body = wallet.authed("get", f"/api/v1/transactions/{remove_op.id}").json()
    assert sign(wallet, {**body, "publicKey": options}, credential=phone.get(options)).status_code == 200
    assert wait_final(wallet, str(remove_op.id))["status"] == "included"
    account.refresh_from_db()
    assert laptop_device["id"] not in account.owners

    # On-chain, the revoked key no longer signs for the account (its signature fails validation).
    laptop_cred = next(iter(laptop.credentials.values()))
    revoked = support.Passkey(credential=laptop_cred, authenticator=laptop)
    phone_owner = support.Passkey(credential=next(iter(phone.credentials.values())), authenticator=phone)
    chain_wallet = support.Wallet.new(sponsor_devchain, sponsor_w3, owner=phone_owner, salt=0)
    assert chain_wallet.address == Account.objects.get(pk=account.pk).address
    chain_wallet.fund(10**17)
    with pytest.raises(BundlerError, match=r"AA24|signature"):
        chain_wallet.send(chain_wallet.sign(chain_wallet.build([Call(target=BURN)], signer=revoked), revoked))


def test_owner_change_asked_for_again_is_the_one_waiting_for_a_signature(wallet, sponsor_chain) -> None:  # type: ignore[no-untyped-def]
    """The device signal prepared the owner addition; a client asking for it (the devices page, a retry) gets
    that operation, not a second identical one (same nonce and paymaster window while the chain has not moved)."""
    SponsorshipPolicy.objects.create(name="Owners", global_budget_wei=10**18, deny_risky_operations=False)
    wallet.sign_up()
    laptop = wallet.add_device(SoftAuthenticator(), name="Laptop")
    waiting = Transaction.objects.get(purpose="owner_add", subject_device_id=laptop["id"])
    for _ in range(2):
        response = wallet.authed(
            "post",
            f"/api/v1/devices/{laptop['id']}/owner-change",
            {"chain_id": sponsor_chain.chain_id, "action": "add"},
        )
        assert response.status_code == 201, response.content
        assert response.json()["id"] == str(waiting.id)
        assert response.json()["publicKey"]["allowCredentials"]
    assert Transaction.objects.filter(purpose="owner_add", subject_device_id=laptop["id"]).count() == 1

"""Revocation that reaches the chain (issue 16, acceptance 3): one passkey ceremony on device A revokes device B
off-chain at once and signs B's removal as an owner on every chain; the node decides when it has landed."""

from __future__ import annotations

import importlib
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.chain import contracts
from apps.chain.errors import BundlerError
from apps.chain.userops import Call
from apps.identity.models import Passkey
from apps.paymaster.models import SponsorshipPolicy, Transaction
from apps.paymaster.services import owner_removals_reconcile
from tests.support import accounts as support
from tests.support.authenticator import SoftAuthenticator
from tests.support.transactions import account_of, wait_final

pytestmark = pytest.mark.django_db(transaction=True)

BURN = "0x000000000000000000000000000000000000dEaD"
_seed = importlib.import_module("apps.paymaster.migrations.0005_owner_changes_policy")


@pytest.fixture
def system_policy(db):  # type: ignore[no-untyped-def]
    """The owner-change policy the data migration seeds (a transactional test flushes it, so seed it again), and a
    user policy whose budget is spent: a revocation must not depend on it."""
    from django.apps import apps

    _seed.seed_owner_changes_policy(apps, None)
    SponsorshipPolicy.objects.create(name="Users", global_budget_wei=10**18, deny_risky_operations=False)
    return SponsorshipPolicy.objects.get(name=_seed.SYSTEM_POLICY)


def _two_devices_on_two_chains(wallet, chains) -> tuple[dict[str, Any], SoftAuthenticator, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Sign up on phone A, add laptop B, and have A sign B's owner addition on each chain until it lands."""
    from apps.paymaster.services import transaction_signing_options
    from tests.support.transactions import sign

    tokens = wallet.sign_up()
    laptop = SoftAuthenticator()
    laptop_device = wallet.add_device(laptop, name="Laptop")
    for chain in chains:
        add_op = Transaction.objects.get(purpose="owner_add", subject_device_id=laptop_device["id"], chain=chain)
        options = transaction_signing_options(tx=add_op)
        body = wallet.authed("get", f"/api/v1/transactions/{add_op.id}").json()
        signed = sign(wallet, {**body, "publicKey": options}, credential=wallet.authenticator.get(options))
        assert signed.status_code == 200, signed.content
        assert wait_final(wallet, str(add_op.id))["status"] == "included"
        assert laptop_device["id"] in account_of(tokens, chain.chain_id).owners
    return tokens, laptop, laptop_device


def _laptop_session(wallet, laptop: SoftAuthenticator) -> str:  # type: ignore[no-untyped-def]
    """Log in on the laptop (its own access token), keeping the phone's tokens in `wallet`."""
    phone_tokens = wallet.tokens
    begun = wallet.login_options()
    response = wallet.post(
        "/api/v1/auth/login/verify", {"ceremony_id": begun["ceremony_id"], "credential": laptop.get(begun["publicKey"])}
    )
    assert response.status_code == 200, response.content
    wallet.tokens = phone_tokens
    return str(response.json()["access_token"])


def _revoke(wallet, device_id: str):  # type: ignore[no-untyped-def]
    begun = wallet.authed("post", f"/api/v1/devices/{device_id}/revoke/options")
    assert begun.status_code == 201, begun.content
    options = begun.json()
    credential = wallet.authenticator.get(options["public_key"])  # the phone: one touch
    return options, wallet.authed(
        "post", f"/api/v1/devices/{device_id}/revoke", {"ceremony_id": options["ceremony_id"], "credential": credential}
    )


def _wait_revoked(wallet, device_id: str, timeout: float = 90.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Run the reconciler (the beat task's body) until the device's revocation reaches every chain."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owner_removals_reconcile()
        body = wallet.authed("get", f"/api/v1/devices/{device_id}/revocation").json()
        if body["status"] == "revoked":
            return body
        time.sleep(0.5)
    raise AssertionError(f"device {device_id} still listed on-chain: {body}")


def _owner_removed_events(w3, account: str, key: tuple[bytes, bytes]) -> int:  # type: ignore[no-untyped-def]
    contract = contracts.bind(w3, "LykosAccount", account)
    return sum(1 for e in contract.events.OwnerRemoved.get_logs(from_block=0) if (e.args.x, e.args.y) == key)


def _refused_on_chain(devchain, w3, phone: SoftAuthenticator, laptop: SoftAuthenticator, address: str) -> None:  # type: ignore[no-untyped-def]
    """An operation signed by the laptop's key fails the account's own validation (AA24)."""
    revoked = support.Passkey(credential=next(iter(laptop.credentials.values())), authenticator=laptop)
    phone_owner = support.Passkey(credential=next(iter(phone.credentials.values())), authenticator=phone)
    chain_wallet = support.Wallet.new(devchain, w3, owner=phone_owner, salt=0)
    assert chain_wallet.address == address
    assert not chain_wallet.contract.functions.isOwner(*revoked.key_tuple()).call()
    assert chain_wallet.contract.functions.isOwner(*phone_owner.key_tuple()).call()
    chain_wallet.fund(10**17)
    with pytest.raises(BundlerError, match=r"AA24|signature"):
        chain_wallet.send(chain_wallet.sign(chain_wallet.build([Call(target=BURN)], signer=revoked), revoked))


def test_revoking_b_from_a_removes_b_on_both_chains_in_one_ceremony(  # type: ignore[no-untyped-def]
    wallet,
    system_policy,
    sponsor_chain,
    sponsor_chain_b,
    sponsor_devchain,
    sponsor_devchain_b,
    sponsor_w3,
    sponsor_w3_b,
    celery_worker,
) -> None:
    tokens, laptop, laptop_device = _two_devices_on_two_chains(wallet, [sponsor_chain, sponsor_chain_b])
    laptop_token = _laptop_session(wallet, laptop)
    assert wallet.authed("get", "/api/v1/me", token=laptop_token).status_code == 200

    # No user budget can starve a revocation: the users' policy is spent, the system policy still pays.
    SponsorshipPolicy.objects.filter(name="Users").update(global_budget_wei=0)
    # A ceremony begun and abandoned: once its challenge is dead, the reconciler expires its removals.
    abandoned = wallet.authed("post", f"/api/v1/devices/{laptop_device['id']}/revoke/options").json()
    Transaction.objects.filter(user_op_hash__in=abandoned["user_op_hashes"]).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    owner_removals_reconcile()
    assert set(
        Transaction.objects.filter(user_op_hash__in=abandoned["user_op_hashes"]).values_list("status", flat=True)
    ) == {"expired"}
    assert Passkey.objects.get(pk=laptop_device["id"]).status == "active"

    options, revoked = _revoke(wallet, laptop_device["id"])
    assert revoked.status_code == 200, revoked.content
    assert sorted(options["chains"]) == sorted([sponsor_chain.chain_id, sponsor_chain_b.chain_id])
    # Off-chain at once: the laptop's session is dead at its next request, its passkey refused for login.
    assert revoked.json()["status"] in {"revoking", "revoked"}
    assert Passkey.objects.get(pk=laptop_device["id"]).status == "revoked"
    assert wallet.authed("get", "/api/v1/me", token=laptop_token).status_code == 401

    body = _wait_revoked(wallet, laptop_device["id"])
    assert body["chains_pending"] == [] and body["needs_signature"] == []
    removals = Transaction.objects.filter(purpose="owner_remove", subject_device_id=laptop_device["id"]).exclude(
        status="expired"
    )
    # One removal per chain, both signed by the phone and paid by the system policy, none by the users' one.
    assert {(t.chain_id, t.status, t.policy_id) for t in removals} == {
        (sponsor_chain.chain_id, "included", system_policy.pk),
        (sponsor_chain_b.chain_id, "included", system_policy.pk),
    }
    assert {str(t.signed_by_id) for t in removals} == {tokens["device"]["id"]}

    key = tuple(
        bytes(b).rjust(32, b"\0")
        for b in Passkey.objects.values_list("public_key_x", "public_key_y").get(pk=laptop_device["id"])
    )
    for devchain, w3, chain in (
        (sponsor_devchain, sponsor_w3, sponsor_chain),
        (sponsor_devchain_b, sponsor_w3_b, sponsor_chain_b),
    ):
        address = account_of(tokens, chain.chain_id).address
        assert _owner_removed_events(w3, address, key) == 1  # type: ignore[arg-type]
        _refused_on_chain(devchain, w3, wallet.authenticator, laptop, address)


def test_bundler_killed_during_the_removal_it_lands_once_after_it_returns(  # type: ignore[no-untyped-def]
    wallet,
    system_policy,
    sponsor_chain,
    sponsor_chain_b,
    sponsor_devchain,
    sponsor_w3,
    celery_worker,
) -> None:
    tokens, laptop, laptop_device = _two_devices_on_two_chains(wallet, [sponsor_chain, sponsor_chain_b])
    begun = wallet.authed("post", f"/api/v1/devices/{laptop_device['id']}/revoke/options").json()
    credential = wallet.authenticator.get(begun["public_key"])

    sponsor_devchain.stop_bundler()
    try:
        revoked = wallet.authed(
            "post",
            f"/api/v1/devices/{laptop_device['id']}/revoke",
            {"ceremony_id": begun["ceremony_id"], "credential": credential},
        )
        # Revoked here at once; on the chain whose bundler is down the signed removal waits.
        assert revoked.status_code == 200, revoked.content
        assert revoked.json()["status"] == "revoking"
        assert sponsor_chain.chain_id in revoked.json()["chains_pending"]
        time.sleep(3)  # the submit task and the reconciler try the dead bundler meanwhile
        owner_removals_reconcile()
        stuck = Transaction.objects.get(purpose="owner_remove", chain=sponsor_chain)
        assert stuck.status == "signed" and "bundler unavailable" in stuck.last_error
        status = wallet.authed("get", f"/api/v1/devices/{laptop_device['id']}/revocation").json()
        assert status["status"] == "revoking" and sponsor_chain.chain_id in status["chains_pending"]
        assert status["needs_signature"] == []  # the stored signature will do
    finally:
        sponsor_devchain.start_bundler()

    _wait_revoked(wallet, laptop_device["id"])
    stuck.refresh_from_db()
    address = account_of(tokens, sponsor_chain.chain_id).address
    entry_point = contracts.bind(sponsor_w3, "EntryPoint", sponsor_devchain.entry_point)
    landed = entry_point.events.UserOperationEvent.get_logs(
        from_block=0, argument_filters={"userOpHash": bytes.fromhex(stuck.user_op_hash[2:])}
    )
    assert len(landed) == 1  # sent more than once perhaps, landed exactly once
    laptop_key = tuple(
        bytes(b).rjust(32, b"\0")
        for b in Passkey.objects.values_list("public_key_x", "public_key_y").get(pk=laptop_device["id"])
    )
    assert _owner_removed_events(sponsor_w3, address, laptop_key) == 1  # type: ignore[arg-type]
    _refused_on_chain(sponsor_devchain, sponsor_w3, wallet.authenticator, laptop, address)


def test_owner_add_refuses_a_revoked_or_flagged_passkey(wallet, system_policy, sponsor_chain) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up()
    laptop = wallet.add_device(SoftAuthenticator(), name="Laptop")
    tablet = wallet.add_device(SoftAuthenticator(), name="Tablet")
    # A ceremony begun for one device cannot revoke another.
    begun = wallet.authed("post", f"/api/v1/devices/{laptop['id']}/revoke/options").json()
    crossed = wallet.authed(
        "post",
        f"/api/v1/devices/{tablet['id']}/revoke",
        {"ceremony_id": begun["ceremony_id"], "credential": wallet.authenticator.get(begun["public_key"])},
    )
    assert crossed.status_code == 400 and crossed.json()["error"]["code"] == "challenge_invalid"
    assert Passkey.objects.get(pk=tablet["id"]).status == "active"

    _, revoked = _revoke(wallet, laptop["id"])
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["status"] == "revoked"  # it never became an owner on-chain: nothing to remove
    Passkey.objects.filter(pk=tablet["id"]).update(status="flagged", flagged_reason="possible clone")

    for device in (laptop, tablet):
        response = wallet.authed(
            "post",
            f"/api/v1/devices/{device['id']}/owner-change",
            {"chain_id": sponsor_chain.chain_id, "action": "add"},
        )
        assert response.status_code == 422, response.content
        assert response.json()["error"]["code"] == "device_not_addable"


def test_prepare_when_the_only_passkey_is_flagged_is_a_clear_refusal(wallet, sponsor_chain) -> None:  # type: ignore[no-untyped-def]
    from apps.identity.models import User
    from apps.paymaster.errors import NoActiveDevice
    from apps.paymaster.services import transaction_prepare

    tokens = wallet.sign_up()
    Passkey.objects.filter(pk=tokens["device"]["id"]).update(status="flagged", flagged_reason="possible clone")
    # Through the API the flag has already ended the device's sessions: a clear 401, never a 500.
    response = wallet.authed(
        "post", "/api/v1/transactions", {"chain_id": sponsor_chain.chain_id, "calls": [{"to": BURN, "value": "0"}]}
    )
    assert response.status_code == 401, response.content
    # Anything else that prepares for this user (an owner change, a task) gets the rule, not a 404 or a 500.
    with pytest.raises(NoActiveDevice):
        transaction_prepare(
            user=User.objects.get(pk=tokens["user"]["id"]),
            chain_id=sponsor_chain.chain_id,
            intent={"calls": [{"to": BURN, "value": "0"}]},
        )

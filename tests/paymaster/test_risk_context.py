"""Issue 16, acceptance 7: the payment path's scan knows who acts. A transaction right after a passkey was added
carries `new_device`, and a policy with `deny_new_device` refuses to sponsor it; a young session carries
`new_session`; the first payment to a new recipient after a device change carries
`new_counterparty_after_device_change`. Against the real stack (anvil, EntryPoint v0.8, alto, our paymaster)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.identity.models import Passkey, Session, User
from apps.paymaster.models import SponsorshipPolicy
from apps.security import services as security
from tests.support.authenticator import SoftAuthenticator
from tests.support.security import fresh_eoa
from tests.support.transactions import account_of, fund, prepare

pytestmark = pytest.mark.django_db(transaction=True)
DEAD = "0x000000000000000000000000000000000000dEaD"


def kinds(prepared: dict) -> set[str]:
    return {w["kind"] for w in prepared["verdict"]["warnings"]}


def settled_user(wallet, name: str, chain, w3, devchain) -> User:  # type: ignore[no-untyped-def]
    """A user who signed up two days ago (device and session no longer new), with some ETH for gas and value."""
    tokens = wallet.sign_up(name)
    user = User.objects.get(pk=tokens["user"]["id"])
    two_days_ago = timezone.now() - timedelta(days=2)
    Passkey.objects.filter(user=user).update(created_at=two_days_ago)
    Session.objects.filter(user=user).update(created_at=two_days_ago)
    fund(w3, devchain, account_of(tokens, chain.chain_id).address, 10**17)
    return user


def test_right_after_a_passkey_is_added_the_scan_warns_and_deny_new_device_refuses(  # type: ignore[no-untyped-def]
    wallet, sponsor_chain, sponsor_w3, sponsor_devchain
) -> None:
    careful = SponsorshipPolicy.objects.create(
        name="Careful", global_budget_wei=10**18, deny_risky_operations=False, deny_new_device=True
    )
    settled_user(wallet, "careful_sender", sponsor_chain, sponsor_w3, sponsor_devchain)
    body = {"chain_id": sponsor_chain.chain_id, "calls": [{"to": DEAD, "value": "0", "data": "0x01"}]}
    before = prepare(wallet, body)
    assert before.status_code == 201, before.content
    assert before.json()["sponsored"] is True
    assert not kinds(before.json()) & {"new_device", "new_session"}

    wallet.add_device(SoftAuthenticator(), name="Attacker's laptop?")
    after = prepare(wallet, {**body, "calls": [{**body["calls"][0], "data": "0x02"}]})
    assert after.status_code == 201, after.content
    assert "new_device" in kinds(after.json())
    assert after.json()["sponsored"] is False  # the user may still pay their own gas
    assert after.json()["sponsorship_refusals"][0]["rule"] == "new_device"

    required = prepare(wallet, {**body, "calls": [{**body["calls"][0], "data": "0x03"}], "sponsorship": "required"})
    assert required.status_code == 422, required.content
    assert required.json()["error"]["code"] == "sponsorship_refused"
    assert required.json()["error"]["details"]["rule"] == "new_device"

    # A policy that does not ask for it still pays: the warning alone does not cost sponsorship.
    SponsorshipPolicy.objects.filter(pk=careful.pk).update(deny_new_device=False)
    relaxed = prepare(wallet, {**body, "calls": [{**body["calls"][0], "data": "0x04"}]})
    assert relaxed.json()["sponsored"] is True and "new_device" in kinds(relaxed.json())


def test_a_young_session_and_a_first_payment_after_a_device_change_warn(  # type: ignore[no-untyped-def]
    wallet, sponsor_chain, sponsor_w3, sponsor_devchain, settings
) -> None:
    settings.SECURITY_NEW_DEVICE_SECONDS = 3600
    user = settled_user(wallet, "moving_sender", sponsor_chain, sponsor_w3, sponsor_devchain)
    friend, stranger = fresh_eoa(), fresh_eoa()
    security.counterparty_record(user=user, address=friend)

    def pay(to: str, amount: str) -> dict:
        response = prepare(
            wallet, {"chain_id": sponsor_chain.chain_id, "transfer": {"token": "native", "amount": amount, "to": to}}
        )
        assert response.status_code == 201, response.content
        return response.json()

    # No device change yet: a first-time recipient is not suspicious by itself.
    assert "new_counterparty_after_device_change" not in kinds(pay(fresh_eoa(), "5"))

    wallet.add_device(SoftAuthenticator())
    to_stranger = pay(stranger, "6")
    assert "new_counterparty_after_device_change" in kinds(to_stranger)
    warning = next(w for w in to_stranger["verdict"]["warnings"] if w["kind"] == "new_counterparty_after_device_change")
    assert warning["severity"] == "WARNING" and to_stranger["verdict"]["action"] == "WARN"
    assert "new_counterparty_after_device_change" not in kinds(pay(friend, "7"))  # a known counterparty

    # The device change is old news once the window has passed.
    Passkey.objects.filter(user=user).update(created_at=timezone.now() - timedelta(hours=2))
    assert not kinds(pay(fresh_eoa(), "8")) & {"new_counterparty_after_device_change", "new_device"}

    # A session opened minutes ago is new; the settled one was not.
    assert "new_session" not in kinds(pay(friend, "9"))
    assert wallet.login().status_code == 200
    assert "new_session" in kinds(pay(friend, "10"))

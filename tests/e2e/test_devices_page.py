"""The passkeys page in Chromium (issue 16, acceptance 8): on device A (this browser's platform authenticator) a
person adds a second passkey B (a security key) after a step-up on A, sees it listed, makes it an owner of the
account on both chains with A, revokes it from A and sees it `revoking`, then gone once its removal has landed.

Two virtual authenticators sit on one page; which one "the person touches" is chosen with CDP presence
simulation, one ceremony per click as the page asks for them."""

from __future__ import annotations

import importlib
import time

import pytest

from apps.chain import contracts
from apps.chain.models import Account
from apps.identity.models import Passkey, User
from apps.paymaster.models import SponsorshipPolicy, Transaction
from apps.paymaster.services import owner_removals_reconcile
from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_values
from tests.support.browser import add_virtual_authenticator, set_presence

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

_seed = importlib.import_module("apps.paymaster.migrations.0005_owner_changes_policy")
TIMEOUT_MS = 60000


@pytest.fixture
def policies(db):  # type: ignore[no-untyped-def]
    """The system policy that pays for owner removals, as the data migration seeds it (a transactional test
    flushes it), and a welcome policy for everything else (adding an owner is an ordinary sponsored operation)."""
    from django.apps import apps

    _seed.seed_owner_changes_policy(apps, None)
    SponsorshipPolicy.objects.create(name="Welcome", global_budget_wei=10**18, deny_risky_operations=False)


def _sign_up(page, origin: str, username: str) -> User:  # type: ignore[no-untyped-def]
    page.goto(f"{origin}/signup")
    page.fill("#username", username)
    page.click("#signup-button")
    page.wait_for_selector("#status[data-state='signed-in']", timeout=30000)
    return User.objects.get(username=username)


def _is_owner_on_chain(w3, account: Account, device: Passkey) -> bool:  # type: ignore[no-untyped-def]
    x, y = (bytes(v).rjust(32, b"\0") for v in (device.public_key_x, device.public_key_y))
    return bool(contracts.bind(w3, "LykosAccount", account.address).functions.isOwner(x, y).call())


def test_add_a_second_passkey_then_revoke_it_from_the_first(  # type: ignore[no-untyped-def]
    page,
    live_origin,
    policies,
    sponsor_chain,
    sponsor_chain_b,
    sponsor_w3,
    sponsor_w3_b,
    celery_worker,
) -> None:
    phone = add_virtual_authenticator(page)  # device A
    user = _sign_up(page, live_origin, "two_keys")
    device_a = Passkey.objects.get(user=user)

    page.goto(f"{live_origin}/devices")
    row_a = f"li[data-device-id='{device_a.id}']"
    page.wait_for_selector(f"{row_a}[data-status='active']", timeout=30000)
    assert "this device" in page.text_content(f"{row_a} .device-detail")
    assert not page.is_visible(f"{row_a} .revoke-button")  # A signs revocations; it does not revoke itself here

    # Device B: a security key plugged into this browser; the person does not touch it while A confirms.
    key = add_virtual_authenticator(page, transport="usb", presence=False)
    page.click("#add-button")
    page.wait_for_selector("#status[data-state='confirmed']", timeout=30000)
    step_up = AuditEvent.objects.filter(event_type="step_up.verified", actor_id=str(user.id)).latest("id")
    assert audit_values(step_up)[1] == {"action": "passkey_add", "device": str(device_a.id)}

    set_presence(page, phone, False)
    set_presence(page, key, True)
    page.fill("#device-name", "Security key")
    page.click("#create-button")
    page.wait_for_selector("#status[data-state='added']", timeout=30000)
    device_b = Passkey.objects.get(user=user, name="Security key")
    assert device_b.status == "active" and bytes(device_b.credential_id) != bytes(device_a.credential_id)
    row_b = f"li[data-device-id='{device_b.id}']"
    page.wait_for_selector(f"{row_b}[data-status='active']", timeout=30000)
    assert page.text_content(f"{row_b} .device-name") == "Security key"

    # A signs B's addition as an owner of the account, one chain per click.
    set_presence(page, key, False)
    set_presence(page, phone, True)
    chains = [(sponsor_chain, sponsor_w3), (sponsor_chain_b, sponsor_w3_b)]
    for chain, w3 in chains:
        page.click(f"{row_b} .approve-button[data-chain-id='{chain.chain_id}']")
        page.wait_for_selector(f"{row_b} .chain.owner[data-chain-id='{chain.chain_id}']", timeout=TIMEOUT_MS)
        account = Account.objects.get(user=user, chain=chain)
        assert str(device_b.id) in {str(o) for o in account.owners}
        assert _is_owner_on_chain(w3, account, device_b)
    assert not page.is_visible(f"{row_b} .approve-button")

    # Revoke B from A: one touch of A authorises it and signs B's removal on both chains.
    page.click(f"{row_b} .revoke-button")
    page.wait_for_selector(f"{row_b}[data-status='revoking']", timeout=30000)
    assert page.get_attribute("#status", "data-state") == "revoking"
    device_b.refresh_from_db()
    assert device_b.status == "revoked"  # off-chain at once
    removals = Transaction.objects.filter(purpose="owner_remove", subject_device=device_b)
    assert {t.chain_id for t in removals} == {sponsor_chain.chain_id, sponsor_chain_b.chain_id}
    assert {str(t.signed_by_id) for t in removals} == {str(device_a.id)}

    # The receipt task (and the reconciler, the beat task's body) settle the removals; the page follows.
    deadline = time.monotonic() + 90
    while page.query_selector(row_b) is not None:
        assert time.monotonic() < deadline, page.text_content("#devices")
        owner_removals_reconcile()
        page.wait_for_timeout(500)
    page.wait_for_selector("#status[data-state='removed']", timeout=10000)
    page.wait_for_selector(f"{row_a}[data-status='active']", timeout=10000)
    for chain, w3 in chains:
        account = Account.objects.get(user=user, chain=chain)
        assert str(device_b.id) not in {str(o) for o in account.owners}
        assert not _is_owner_on_chain(w3, account, device_b)
        assert _is_owner_on_chain(w3, account, device_a)

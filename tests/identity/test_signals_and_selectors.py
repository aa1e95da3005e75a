"""What identity announces to other apps (signals) and what it lets them read (selectors)."""

from typing import Any

import pytest

from apps.identity import selectors
from apps.identity.models import Passkey, User
from apps.identity.signals import device_added, device_revoked, user_erasing
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db


def test_device_signals_are_sent_only_once_the_change_commits(wallet, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    received: list[tuple[str, str]] = []

    def listener(sender: type, *, passkey: Passkey, signal: Any, **kwargs: Any) -> None:
        received.append(("added" if signal is device_added else "revoked", str(passkey.id)))

    device_added.connect(listener, dispatch_uid="test.device_listener")
    device_revoked.connect(listener, dispatch_uid="test.device_listener")
    try:
        wallet.sign_up("sia")
        with django_capture_on_commit_callbacks(execute=True):
            laptop = wallet.add_device(SoftAuthenticator(), name="Laptop")
            assert received == []  # still inside the (test's) transaction
        assert received == [("added", laptop["id"])]
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                wallet.authed(
                    "delete", f"/api/v1/devices/{laptop['id']}", step_up=("device_revoke", {"device_id": laptop["id"]})
                ).status_code
                == 200
            )
            assert len(received) == 1
        assert received == [("added", laptop["id"]), ("revoked", laptop["id"])]
    finally:
        device_added.disconnect(dispatch_uid="test.device_listener")
        device_revoked.disconnect(dispatch_uid="test.device_listener")


def test_erasure_merges_the_counts_every_listener_returns(wallet) -> None:  # type: ignore[no-untyped-def]
    def listener(sender: type, *, user: User, **kwargs: Any) -> dict[str, int]:
        assert user.is_active  # called before identity anonymises its own rows
        return {"widgets": 3}

    user_erasing.connect(listener, dispatch_uid="test.erase_listener")
    try:
        wallet.sign_up("eve")
        erased = wallet.authed("delete", "/api/v1/me", step_up="erase")
    finally:
        user_erasing.disconnect(dispatch_uid="test.erase_listener")
    assert erased.status_code == 200, erased.content
    counts = erased.json()["counts"]
    assert counts["widgets"] == 3 and counts["passkeys"] == 1 and counts["sessions"] == 1
    assert "profiles" in counts  # social profile's listener answered too


def test_device_selectors_only_see_the_users_own_devices(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("ada")
    laptop = wallet.add_device(SoftAuthenticator(), name="Laptop")
    assert (
        wallet.authed(
            "delete", f"/api/v1/devices/{laptop['id']}", step_up=("device_revoke", {"device_id": laptop["id"]})
        ).status_code
        == 200
    )
    other = make_wallet()
    other.sign_up("bob")
    ada, bob = User.objects.get(username="ada"), User.objects.get(username="bob")
    phone = Passkey.objects.get(user=ada, status=Passkey.Status.ACTIVE)
    bobs = Passkey.objects.get(user=bob)
    ids = [phone.id, laptop["id"], str(bobs.id)]

    assert selectors.device_get(user=ada, device_id=laptop["id"]).status == Passkey.Status.REVOKED
    assert selectors.device_get(user=ada, device_id=bobs.id) is None
    assert {str(d.id) for d in selectors.devices_by_ids(user=ada, device_ids=ids)} == {str(phone.id), laptop["id"]}
    assert list(selectors.device_active_by_ids(user=ada, device_ids=ids)) == [phone]


def test_user_get_can_require_an_active_user(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("cyd")
    user = User.objects.get(username="cyd")
    assert selectors.user_get(user_id=str(user.id), active_only=True) == user
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert selectors.user_get(user_id=user.id, active_only=True) is None
    assert selectors.user_get(user_id=user.id) == user


def test_passkey_exposes_its_public_key_as_integers(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("pia")
    passkey = Passkey.objects.get()
    assert passkey.public_key_xy == next(iter(wallet.authenticator.credentials.values())).public_xy

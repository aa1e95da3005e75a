"""Devices (add, list, rename, revoke), the profile, and the rewards ledger."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.identity.models import Passkey, RewardEntry, User
from apps.identity.services import reward_credit
from lykos.audit.models import AuditEvent
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db


def assert_code(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_add_device_login_with_it_then_revoke_it(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("amy")
    laptop = SoftAuthenticator()
    device = wallet.add_device(laptop, name="Laptop")
    assert device["name"] == "Laptop" and device["status"] == "active"
    assert len(wallet.authed("get", "/api/v1/devices").json()) == 2

    # Log in with the second device (its own authenticator).
    phone_tokens = dict(wallet.tokens)
    wallet.authenticator, phone = laptop, wallet.authenticator
    laptop_login = wallet.login()
    assert laptop_login.status_code == 200 and laptop_login.json()["device"]["id"] == device["id"]

    # Revoke it from the phone: its sessions end at once and it can no longer log in.
    wallet.authenticator = phone  # the phone confirms the revoke (step-up), on its own session
    revoked = wallet.authed(
        "delete",
        f"/api/v1/devices/{device['id']}",
        token=phone_tokens["access_token"],
        step_up=("device_revoke", {"device_id": device["id"]}),
    )
    wallet.authenticator = laptop
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert_code(wallet.authed("get", "/api/v1/me", token=laptop_login.json()["access_token"]), 401, "session_revoked")
    assert_code(wallet.login(), 401, "device_revoked")
    wallet.authenticator = phone
    assert wallet.login().status_code == 200
    events = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"device.added", "device.revoked", "session.revoked"} <= events


def test_revoking_the_last_passkey_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("ben")
    only = issued["device"]["id"]
    assert_code(wallet.authed("delete", f"/api/v1/devices/{only}"), 401, "step_up_required")
    step_up = ("device_revoke", {"device_id": only})
    assert_code(wallet.authed("delete", f"/api/v1/devices/{only}", step_up=step_up), 409, "last_device")
    assert Passkey.objects.get().status == "active"


def test_add_device_challenge_is_bound_to_the_session(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("cid")
    begun = wallet.authed("post", "/api/v1/devices/options", step_up="passkey_add").json()
    other_session = wallet.login().json()
    credential = SoftAuthenticator().create(begun["publicKey"])
    body = {"ceremony_id": begun["ceremony_id"], "credential": credential}
    assert_code(
        wallet.authed("post", "/api/v1/devices/verify", body, token=other_session["access_token"]),
        400,
        "challenge_invalid",
    )
    assert Passkey.objects.count() == 1


def test_add_device_excludes_existing_credentials(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("dora")
    options = wallet.authed("post", "/api/v1/devices/options", step_up="passkey_add").json()["publicKey"]
    assert len(options["excludeCredentials"]) == 1


def test_rename_device_and_ownership(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("eli")
    renamed = wallet.authed("patch", f"/api/v1/devices/{issued['device']['id']}", {"name": "Work phone"})
    assert renamed.json()["name"] == "Work phone"
    intruder = make_wallet()
    intruder.sign_up("fay")
    assert_code(
        intruder.authed("patch", f"/api/v1/devices/{issued['device']['id']}", {"name": "mine"}), 404, "not_found"
    )
    assert_code(intruder.authed("delete", f"/api/v1/devices/{issued['device']['id']}"), 404, "not_found")
    assert Passkey.objects.get(pk=issued["device"]["id"]).name == "Work phone"


def test_me_patch_validates_and_keeps_usernames_unique(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("gus")
    make_wallet().sign_up("hal")
    ok = wallet.authed("patch", "/api/v1/me", {"display_name": "Gus G", "username": "Gus_2"})
    assert ok.status_code == 200 and ok.json() == {**ok.json(), "display_name": "Gus G", "username": "gus_2"}
    assert_code(wallet.authed("patch", "/api/v1/me", {"username": "HAL"}), 409, "username_taken")
    assert_code(wallet.authed("patch", "/api/v1/me", {"username": "no spaces"}), 400, "validation_error")
    assert User.objects.get(username="gus_2").display_name == "Gus G"


def test_rewards_for_signup_second_device_and_referral(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("ivy")
    code = wallet.authed("get", "/api/v1/rewards").json()["referral_code"]
    assert wallet.authed("get", "/api/v1/rewards").json()["balance"] == 100

    friend = make_wallet()
    begun = friend.register_options(username="jon", referral_code=code.lower())
    credential = friend.authenticator.create(begun["publicKey"])
    friend.tokens = friend.post(
        "/api/v1/auth/register/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential}
    ).json()
    assert friend.authed("get", "/api/v1/rewards").json()["balance"] == 100 + 100
    assert wallet.authed("get", "/api/v1/rewards").json()["balance"] == 100 + 200

    wallet.add_device(SoftAuthenticator())
    wallet.add_device(SoftAuthenticator())  # a third device earns nothing more
    history = wallet.authed("get", "/api/v1/rewards/history").json()
    assert sorted(e["kind"] for e in history["results"]) == ["referral_referrer", "second_device", "signup"]
    assert wallet.authed("get", "/api/v1/rewards").json()["balance"] == 350


def test_unknown_referral_code_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    assert_code(wallet.post("/api/v1/auth/register/options", {"referral_code": "NOPE"}), 422, "invalid_referral_code")


def test_replaying_a_reward_event_credits_once(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("kim")
    user = User.objects.get(username="kim")
    assert reward_credit(user=user, kind="first_transaction", reference="tx:1") is not None
    assert reward_credit(user=user, kind="first_transaction", reference="tx:1") is None
    assert RewardEntry.objects.filter(user=user, kind="first_transaction").count() == 1


def test_login_options_are_rate_limited_per_username_across_ips(wallet, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "3/m"}
    statuses = [
        wallet.post("/api/v1/auth/login/options", {"username": "target"}, REMOTE_ADDR=f"198.51.100.{i}").status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # Another username from a fresh IP is not affected.
    assert (
        wallet.post("/api/v1/auth/login/options", {"username": "other"}, REMOTE_ADDR="198.51.100.99").status_code == 200
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/register/options",
        "/api/v1/auth/register/verify",
        "/api/v1/auth/login/options",
        "/api/v1/auth/login/verify",
        "/api/v1/auth/refresh",
    ],
)
def test_every_auth_endpoint_is_rate_limited_per_ip(wallet, settings, path) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "2/m"}
    # The three calls start at the top of a minute, so a fixed window cannot roll over between them.
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        statuses = [wallet.post(path, {}, REMOTE_ADDR="192.0.2.7").status_code for _ in range(3)]
    assert statuses[-1] == 429 and 429 not in statuses[:2]

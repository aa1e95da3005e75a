"""Step-up: a bearer token alone cannot do a sensitive action; a fresh passkey assertion bound to that action,
its parameters and the session opens it once, within the window. Access tokens say how and when (amr, auth_time)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from apps.identity import services
from apps.identity.errors import StepUpRequired
from apps.identity.models import Passkey, Session, User
from tests.support.authenticator import SoftAuthenticator, b64url_decode
from tests.support.step_up import step_up_token

pytestmark = pytest.mark.django_db

DEVICE_OPTIONS = "/api/v1/devices/options"


def assert_step_up_required(response, *, action: str, reason: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == "step_up_required"
    assert error["details"]["reason"] == reason
    assert response["WWW-Authenticate"].startswith('Bearer error="insufficient_user_authentication"')
    step_up = error["details"]["step_up"]
    assert step_up["action"] == action and step_up["ceremony_id"]
    return step_up


def test_without_a_step_up_the_refusal_carries_options_that_complete_at_once(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("stan")
    step_up = assert_step_up_required(wallet.authed("post", DEVICE_OPTIONS), action="passkey_add", reason="missing")
    options = step_up["public_key"]
    assert options["userVerification"] == "required"
    assert [c["id"] for c in options["allowCredentials"]] == [issued["device"]["credential_id"]]

    # The options in the refusal are a real ceremony: answering them yields a grant that opens the gate.
    verified = wallet.authed(
        "post",
        "/api/v1/step-up/verify",
        {"ceremony_id": step_up["ceremony_id"], "credential": wallet.authenticator.get(options)},
    )
    assert verified.status_code == 200, verified.content
    assert verified.json()["action"] == "passkey_add"
    grant = {"HTTP_X_STEP_UP": verified.json()["step_up_token"]}
    assert wallet.authed("post", DEVICE_OPTIONS, **grant).status_code == 200

    # Single use: the same grant again is refused.
    assert_step_up_required(wallet.authed("post", DEVICE_OPTIONS, **grant), action="passkey_add", reason="invalid")


def test_a_grant_for_another_action_is_refused_and_spent(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("otto")
    header = wallet.step_up("erase")
    assert_step_up_required(
        wallet.authed("post", DEVICE_OPTIONS, **header), action="passkey_add", reason="other_action"
    )
    assert_step_up_required(wallet.authed("post", DEVICE_OPTIONS, **header), action="passkey_add", reason="invalid")


def test_a_grant_commits_to_its_parameters(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("pam")
    user = User.objects.get(pk=issued["user"]["id"])
    session_id = issued["session_id"]
    token = step_up_token(wallet.client, wallet.authenticator, issued["access_token"], "device_revoke", {"id": "a"})
    with pytest.raises(StepUpRequired) as refused:
        services.step_up_consume(
            user=user, session_id=session_id, token=token, action="device_revoke", params={"id": "b"}
        )
    assert refused.value.details["reason"] == "other_params"
    assert refused.value.details["step_up"]["params"] == {"id": "b"}

    # Key order does not matter (canonical JSON); the values do.
    token = step_up_token(wallet.client, wallet.authenticator, issued["access_token"], "export", {"a": 1, "b": [2]})
    passkey = services.step_up_consume(
        user=user, session_id=session_id, token=token, action="export", params={"b": [2], "a": 1}
    )
    assert str(passkey.id) == issued["device"]["id"]


def test_an_expired_grant_is_refused(wallet, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STEP_UP_TTL_SECONDS = 60  # shorter than the access token, so only the grant expires
    wallet.sign_up("eve")
    header = wallet.step_up("passkey_add")
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = wallet.authed("post", DEVICE_OPTIONS, **header)
    assert_step_up_required(response, action="passkey_add", reason="expired")
    assert response["WWW-Authenticate"].endswith("max_age=60")


def test_a_grant_is_bound_to_its_session(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("sid")
    header = wallet.step_up("passkey_add")
    other_session = wallet.login().json()
    refused = wallet.authed("post", DEVICE_OPTIONS, token=other_session["access_token"], **header)
    assert_step_up_required(refused, action="passkey_add", reason="invalid")


def test_the_ceremony_is_bound_to_its_session_and_needs_user_verification(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("uma")
    begun = wallet.authed("post", "/api/v1/step-up/options", {"action": "export"}).json()
    credential = wallet.authenticator.get(begun["public_key"])
    other_session = wallet.login().json()
    body = {"ceremony_id": begun["ceremony_id"], "credential": credential}
    refused = wallet.authed("post", "/api/v1/step-up/verify", body, token=other_session["access_token"])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "challenge_invalid"

    wallet.authenticator.user_verification = False
    begun = wallet.authed("post", "/api/v1/step-up/options", {"action": "export"}).json()
    body = {"ceremony_id": begun["ceremony_id"], "credential": wallet.authenticator.get(begun["public_key"])}
    refused = wallet.authed("post", "/api/v1/step-up/verify", body)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "user_verification_required"


def test_the_challenge_commits_to_action_params_and_session(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("cyd")
    challenges = set()
    for action, params in [("export", {}), ("erase", {}), ("export", {"x": 1}), ("export", {})]:
        begun = wallet.authed("post", "/api/v1/step-up/options", {"action": action, "params": params}).json()
        challenges.add(begun["public_key"]["challenge"])
    assert len(challenges) == 4  # fresh each time, and never reusable for another action
    assert all(len(b64url_decode(c)) == 32 for c in challenges)
    unknown = wallet.authed("post", "/api/v1/step-up/options", {"action": "launch_missiles"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "validation_error"


def test_another_users_passkey_cannot_confirm(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("vic")
    mallory = make_wallet()
    mallory.sign_up("mallory")
    begun = wallet.authed("post", "/api/v1/step-up/options", {"action": "erase"}).json()
    # Mallory's authenticator answers the victim's challenge with her own passkey.
    forged = mallory.authenticator.get({**begun["public_key"], "allowCredentials": []})
    refused = wallet.authed(
        "post", "/api/v1/step-up/verify", {"ceremony_id": begun["ceremony_id"], "credential": forged}
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "challenge_mismatch"


@pytest.mark.django_db(transaction=True)
def test_a_grant_is_spent_once_under_concurrency(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("racer")
    user = User.objects.get(pk=issued["user"]["id"])
    token = step_up_token(wallet.client, wallet.authenticator, issued["access_token"], "export")

    def spend(_: int) -> str:
        try:
            services.step_up_consume(user=user, session_id=issued["session_id"], token=token, action="export")
            return "ok"
        except StepUpRequired as exc:
            return str(exc.details["reason"])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(spend, range(8)))
    assert outcomes == ["invalid"] * 7 + ["ok"]


def claims_of(access_token: str) -> dict:  # type: ignore[type-arg]
    return jwt.decode(access_token, options={"verify_signature": False})


def test_access_tokens_say_how_and_when_the_user_last_authenticated(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("amr_user")
    session = Session.objects.get(pk=issued["session_id"])
    claims = claims_of(issued["access_token"])
    assert claims["amr"] == ["hwk", "user"]
    assert claims["auth_time"] == int(session.created_at.timestamp())

    # A step-up with a synced passkey later moves auth_time and says "swk"; the next token carries both.
    synced = SoftAuthenticator()
    wallet.add_device(synced, name="Synced")
    synced_id = next(iter(synced.credentials))
    synced.credentials[synced_id].backup_eligible = True
    Passkey.objects.filter(name="Synced").update(backup_eligible=True)
    with time_machine.travel(timezone.now() + timedelta(seconds=90)):
        step_up_token(wallet.client, synced, issued["access_token"], "export")
        refreshed = wallet.post("/api/v1/auth/refresh", {"refresh_token": issued["refresh_token"]}).json()
    session.refresh_from_db()
    assert session.authenticated_at is not None and session.authenticated_at > session.created_at
    claims = claims_of(refreshed["access_token"])
    assert claims["amr"] == ["swk", "user"]
    assert claims["auth_time"] == int(session.authenticated_at.timestamp())

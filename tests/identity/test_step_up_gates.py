"""Issue 16, acceptance 1: a stolen access token is not a stolen account.

With only the victim's access token (no passkey), an attacker cannot add a passkey, log out everywhere, download
an export, erase the account or change a verified channel: each answers 401 `step_up_required` with the options
to do the step-up. Nor can the attacker complete that step-up with a passkey of their own, or spend a grant made
for another action, a used one, or one older than the window.
"""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from apps.identity.models import Passkey, Session, User
from tests.support.api_wallet import Wallet
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

EXPORT_ID = str(uuid.uuid4())
#: Every gated operation: (method, path, body, action, the params its grant must commit to).
GATED = [
    ("post", "/api/v1/devices/options", None, "passkey_add", {}),
    ("post", "/api/v1/sessions/revoke-all", {"keep_current": True}, "sessions_revoke", {"keep_current": True}),
    ("get", f"/api/v1/me/export/{EXPORT_ID}/download", None, "export", {"export_id": EXPORT_ID}),
    ("delete", "/api/v1/me", None, "erase", {}),
    (
        "post",
        "/api/v1/verification/email",
        {"email": "thief@example.com"},
        "channel_change",
        {"email": "thief@example.com"},
    ),
    ("post", "/api/v1/verification/phone", {"phone": "+14155550199"}, "channel_change", {"phone": "+14155550199"}),
]


def attacker_with(stolen_access_token: str) -> Wallet:
    """Someone else's machine: the victim's access token, and a passkey of the thief's own account."""
    thief = Wallet(client=APIClient(), authenticator=SoftAuthenticator())
    thief.sign_up("thief")
    thief.tokens = {"access_token": stolen_access_token}
    return thief


def assert_step_up_required(response, action: str, params: dict) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == "step_up_required", error
    step_up = error["details"]["step_up"]
    assert step_up["action"] == action and step_up["params"] == params
    assert step_up["public_key"]["userVerification"] == "required" and step_up["ceremony_id"]
    return step_up


@pytest.mark.parametrize(("method", "path", "body", "action", "params"), GATED, ids=[g[3] + g[1] for g in GATED])
def test_a_stolen_access_token_alone_is_refused_with_step_up_options(  # type: ignore[no-untyped-def]
    wallet, method, path, body, action, params
) -> None:
    issued = wallet.sign_up("victim")
    thief = attacker_with(issued["access_token"])
    step_up = assert_step_up_required(thief.authed(method, path, body), action, params)

    # The options name the victim's passkey; the thief's own passkey cannot answer them.
    assert [c["id"] for c in step_up["public_key"]["allowCredentials"]] == [issued["device"]["credential_id"]]
    forged = thief.authenticator.get({**step_up["public_key"], "allowCredentials": []})
    body = {"ceremony_id": step_up["ceremony_id"], "credential": forged}
    refused = thief.authed("post", "/api/v1/step-up/verify", body)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "challenge_mismatch"

    # Nothing happened: still one passkey, the session alive, the user there.
    victim = User.objects.get(username="victim")
    assert Passkey.objects.filter(user=victim).count() == 1 and victim.is_active
    assert Session.objects.get(pk=issued["session_id"]).revoked_at is None
    assert wallet.authed("get", "/api/v1/me").status_code == 200


def test_grants_for_another_action_replayed_or_expired_are_refused(wallet, settings) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("careful")
    # Another action: a grant for "export" does not erase.
    response = wallet.authed("delete", "/api/v1/me", **wallet.step_up("export"))
    assert response.json()["error"]["details"]["reason"] == "other_action"
    assert_step_up_required(response, "erase", {})

    # Other parameters: a grant to add a phone number does not add another one.
    grant = wallet.step_up("channel_change", {"phone": "+14155550100"})
    response = wallet.authed("post", "/api/v1/verification/phone", {"phone": "+14155550101"}, **grant)
    assert response.json()["error"]["details"]["reason"] == "other_params"

    # Replayed: the grant that logged out everywhere once does not do it twice.
    grant = wallet.step_up("sessions_revoke", {"keep_current": True})
    assert wallet.authed("post", "/api/v1/sessions/revoke-all", {"keep_current": True}, **grant).status_code == 200
    replayed = wallet.authed("post", "/api/v1/sessions/revoke-all", {"keep_current": True}, **grant)
    assert replayed.json()["error"]["details"]["reason"] == "invalid"
    assert_step_up_required(replayed, "sessions_revoke", {"keep_current": True})

    # Older than the window (the clock moves; the access token is still valid).
    settings.STEP_UP_TTL_SECONDS = 120
    grant = wallet.step_up("erase")
    with time_machine.travel(timezone.now() + timedelta(seconds=121)):
        late = wallet.authed("delete", "/api/v1/me", **grant)
    assert late.json()["error"]["details"]["reason"] == "expired"
    assert User.objects.get().is_active

    # And a fresh one does it.
    assert wallet.authed("delete", "/api/v1/me", step_up="erase").status_code == 200
    assert not User.objects.get().is_active


def test_every_gated_operation_documents_the_header_and_the_refusal() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    gated = {
        ("/api/v1/devices/options", "post"),
        ("/api/v1/devices/{device_id}", "delete"),
        ("/api/v1/sessions/revoke-all", "post"),
        ("/api/v1/me/export/{export_id}/download", "get"),
        ("/api/v1/me", "delete"),
        ("/api/v1/verification/email", "post"),
        ("/api/v1/verification/phone", "post"),
    }
    for path, method in gated:
        operation = schema["paths"][path][method]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "X-Step-Up" in headers, (path, method)
        assert "`step_up_required`" in operation["responses"]["401"]["description"], (path, method)

"""Issue 17's "bad input → 500" cases for the passkey ceremonies, kept as regressions: a credential whose parts are
not the shapes WebAuthn defines is `malformed_credential` (or another ceremony refusal), never a server error."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

BROKEN_RESPONSES: list[Any] = ["x", 1, [], None, {"userHandle": 5}, {"userHandle": "!!"}, {"clientDataJSON": 5}]


@pytest.mark.parametrize("response", BROKEN_RESPONSES, ids=[repr(r) for r in BROKEN_RESPONSES])
def test_login_verify_with_a_broken_response_for_a_known_credential_is_refused(wallet, response) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("known_credential")
    begun = wallet.login_options()
    credential = wallet.authenticator.get(begun["publicKey"])
    answer = wallet.post(
        "/api/v1/auth/login/verify",
        {"ceremony_id": begun["ceremony_id"], "credential": {**credential, "response": response}},
    )
    assert 400 <= answer.status_code < 500, answer.content
    assert answer.json()["error"]["code"]


@pytest.mark.parametrize("response", BROKEN_RESPONSES, ids=[repr(r) for r in BROKEN_RESPONSES])
def test_register_verify_with_a_broken_response_is_refused(wallet, response) -> None:  # type: ignore[no-untyped-def]
    begun = wallet.register_options(username="broken_response")
    credential = wallet.authenticator.create(begun["publicKey"])
    answer = wallet.post(
        "/api/v1/auth/register/verify",
        {"ceremony_id": begun["ceremony_id"], "credential": {**credential, "response": response}},
    )
    assert 400 <= answer.status_code < 500, answer.content

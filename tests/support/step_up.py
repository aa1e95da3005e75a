"""Step-up in tests: a real passkey ceremony for one action, returned as the header the protected request sends.

`step_up_header(client, authenticator, access_token, action, params)` runs `POST /api/v1/step-up/options` and
`/verify` with the software authenticator, exactly as a wallet app would, and returns the Django test-client
keyword for `X-Step-Up` (`{"HTTP_X_STEP_UP": token}`), to splat into `client.post(..., **header)`.
`Wallet.step_up(action, params)` and `Wallet.authed(..., step_up=...)` wrap it for the `wallet` fixture.
"""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from tests.support.authenticator import SoftAuthenticator

HEADER = "HTTP_X_STEP_UP"


def step_up_token(
    client: APIClient,
    authenticator: SoftAuthenticator,
    access_token: str,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    credential_id: bytes | None = None,
) -> str:
    """A fresh grant for `action` + `params` on the access token's session, confirmed by `authenticator`."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {access_token}"}
    begun = client.post("/api/v1/step-up/options", {"action": action, "params": params or {}}, format="json", **auth)
    assert begun.status_code == 200, begun.content
    body = begun.json()
    credential = authenticator.get(body["public_key"], credential_id=credential_id)
    verified = client.post(
        "/api/v1/step-up/verify", {"ceremony_id": body["ceremony_id"], "credential": credential}, format="json", **auth
    )
    assert verified.status_code == 200, verified.content
    token: str = verified.json()["step_up_token"]
    return token


def step_up_header(
    client: APIClient,
    authenticator: SoftAuthenticator,
    access_token: str,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    credential_id: bytes | None = None,
) -> dict[str, str]:
    """`{"HTTP_X_STEP_UP": <grant>}` for the test client: one protected request's worth of step-up."""
    return {HEADER: step_up_token(client, authenticator, access_token, action, params, credential_id=credential_id)}

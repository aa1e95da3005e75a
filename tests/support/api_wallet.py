"""A person using the wallet API: real passkey ceremonies with the software authenticator.

The `wallet` and `make_wallet` fixtures are loaded for every test package by the root conftest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.support.authenticator import SoftAuthenticator
from tests.support.step_up import step_up_header


@dataclass
class Wallet:
    """A person with a phone (authenticator) and whatever tokens their app currently holds."""

    client: APIClient
    authenticator: SoftAuthenticator = field(default_factory=SoftAuthenticator)
    tokens: dict[str, Any] = field(default_factory=dict)

    def post(self, path: str, data: dict | None = None, **extra: Any):  # type: ignore[no-untyped-def]
        return self.client.post(path, data or {}, format="json", **extra)

    def authed(  # type: ignore[no-untyped-def]
        self,
        method: str,
        path: str,
        data: dict | None = None,
        token: str | None = None,
        *,
        step_up: tuple[str, dict[str, Any]] | str | None = None,
        **extra: Any,
    ):
        """A call with the bearer token; `step_up="erase"` or `step_up=("device_revoke", {...})` first runs a
        real step-up ceremony on the same session and sends its grant as `X-Step-Up`."""
        bearer = token or self.tokens["access_token"]
        if step_up is not None:
            action, params = (step_up, {}) if isinstance(step_up, str) else step_up
            extra = {**self.step_up(action, params, token=bearer), **extra}
        return getattr(self.client, method)(path, data, format="json", HTTP_AUTHORIZATION=f"Bearer {bearer}", **extra)

    def step_up(self, action: str, params: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, str]:
        """The `X-Step-Up` header (test-client keyword) for one request doing `action` with `params`."""
        return step_up_header(self.client, self.authenticator, token or self.tokens["access_token"], action, params)

    def register_options(self, **data: Any) -> dict:
        response = self.post("/api/v1/auth/register/options", data)
        assert response.status_code == 200, response.content
        return response.json()

    def sign_up(self, username: str | None = None, **create_kwargs: Any) -> dict:
        begun = self.register_options(**({"username": username} if username else {}))
        credential = self.authenticator.create(begun["publicKey"], **create_kwargs)
        response = self.post(
            "/api/v1/auth/register/verify",
            {"ceremony_id": begun["ceremony_id"], "credential": credential, "device_name": "Phone"},
        )
        assert response.status_code == 201, response.content
        self.tokens = response.json()
        return self.tokens

    def login_options(self, username: str | None = None) -> dict:
        response = self.post("/api/v1/auth/login/options", {"username": username} if username else {})
        assert response.status_code == 200, response.content
        return response.json()

    def login(self, username: str | None = None, **get_kwargs: Any):  # type: ignore[no-untyped-def]
        begun = self.login_options(username)
        credential = self.authenticator.get(begun["publicKey"], **get_kwargs)
        response = self.post(
            "/api/v1/auth/login/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential}
        )
        if response.status_code == 200:
            self.tokens = response.json()
        return response

    def add_device(self, authenticator: SoftAuthenticator, name: str = "Laptop", **extra: Any) -> dict:
        """Add a passkey as the app does: a `passkey_add` step-up with the current device, then the ceremony."""
        begun = self.authed("post", "/api/v1/devices/options", step_up="passkey_add").json()
        credential = authenticator.create(begun["publicKey"])
        response = self.authed(
            "post",
            "/api/v1/devices/verify",
            {"ceremony_id": begun["ceremony_id"], "credential": credential, "device_name": name},
            **extra,
        )
        assert response.status_code == 201, response.content
        return response.json()


@pytest.fixture
def wallet() -> Wallet:
    """A person with a phone (software passkey authenticator) and an API client."""
    return Wallet(client=APIClient())


@pytest.fixture
def make_wallet() -> Callable[[], Wallet]:
    return lambda: Wallet(client=APIClient())

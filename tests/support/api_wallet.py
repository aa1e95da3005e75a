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


@dataclass
class Wallet:
    """A person with a phone (authenticator) and whatever tokens their app currently holds."""

    client: APIClient
    authenticator: SoftAuthenticator = field(default_factory=SoftAuthenticator)
    tokens: dict[str, Any] = field(default_factory=dict)

    def post(self, path: str, data: dict | None = None, **extra: Any):  # type: ignore[no-untyped-def]
        return self.client.post(path, data or {}, format="json", **extra)

    def authed(self, method: str, path: str, data: dict | None = None, token: str | None = None):  # type: ignore[no-untyped-def]
        bearer = token or self.tokens["access_token"]
        return getattr(self.client, method)(path, data, format="json", HTTP_AUTHORIZATION=f"Bearer {bearer}")

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

    def add_device(self, authenticator: SoftAuthenticator, name: str = "Laptop") -> dict:
        begun = self.authed("post", "/api/v1/devices/options").json()
        credential = authenticator.create(begun["publicKey"])
        response = self.authed(
            "post",
            "/api/v1/devices/verify",
            {"ceremony_id": begun["ceremony_id"], "credential": credential, "device_name": name},
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

"""Schemathesis hooks (loaded by `schemathesis run` through SCHEMATHESIS_HOOKS): addresses as clients send them, and
for the authenticated run (LYKOS_SCHEMATHESIS_AUTH=1) a person who logs in with a passkey.

EIP-55 cannot be written as a pattern: a mixed-case address is valid only with its checksum. A client computes
the checksum of the addresses it sends, so every address-shaped string the generator draws is sent checksummed
(`map_case`); a wrong checksum is refused, as tests/paymaster and tests/chain prove, and that refusal is not what
this run is about.

The auth provider is a person with the suite's software passkey (tests/support/authenticator.py): on first use it
signs up over HTTP, then every token it hands out comes from a real passkey login (`login/options` + `login/verify`).
Access tokens live 5 minutes, so the provider renews well before that (`refresh_interval`), and again whenever an
answer is 401: the fuzzer itself may end the session (logout, revoke-all) or revoke the device. If the person cannot
log in any more (an erased account, a revoked passkey), it signs up as a new person and goes on.

Runs in the schemathesis process, not under pytest: no Django here, only HTTP to the live test server whose origin
is in LYKOS_SCHEMATHESIS_ORIGIN.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from typing import Any

import requests
import schemathesis
from eth_utils import to_checksum_address

from tests.support.authenticator import SoftAuthenticator

ORIGIN = os.environ.get("LYKOS_SCHEMATHESIS_ORIGIN", "http://localhost:8000")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
TIMEOUT = 30


class PasskeyPerson:
    """One person's authenticator and username; thread-safe, schemathesis workers share it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.authenticator: SoftAuthenticator | None = None
        self.username = ""
        self.session = requests.Session()

    def _post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.session.post(ORIGIN + path, json=body, timeout=TIMEOUT)

    def sign_up(self) -> str:
        self.authenticator = SoftAuthenticator(origin=ORIGIN)
        self.username = "fuzz_" + secrets.token_hex(4)
        begun = self._post("/api/v1/auth/register/options", {"username": self.username})
        begun.raise_for_status()
        options = begun.json()
        credential = self.authenticator.create(options["publicKey"])
        done = self._post(
            "/api/v1/auth/register/verify",
            {"ceremony_id": options["ceremony_id"], "credential": credential, "device_name": "Fuzzer"},
        )
        done.raise_for_status()
        return str(done.json()["access_token"])

    def log_in(self) -> str | None:
        if self.authenticator is None:
            return None
        begun = self._post("/api/v1/auth/login/options", {"username": self.username})
        if begun.status_code != 200:
            return None
        options = begun.json()
        try:
            credential = self.authenticator.get(options["publicKey"])
        except LookupError:
            return None
        done = self._post(
            "/api/v1/auth/login/verify", {"ceremony_id": options["ceremony_id"], "credential": credential}
        )
        return str(done.json()["access_token"]) if done.status_code == 200 else None

    def token(self) -> str:
        with self.lock:
            return self.log_in() or self.sign_up()


def checksummed(value: Any) -> Any:
    if isinstance(value, str) and _ADDRESS.fullmatch(value):
        return to_checksum_address(value)
    if isinstance(value, dict):
        return {key: checksummed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [checksummed(item) for item in value]
    return value


@schemathesis.hook
def map_case(ctx: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    # Assigned only when something changed: schemathesis tracks which part of a negative case it broke.
    if case.body is not None and (body := checksummed(case.body)) != case.body:
        case.body = body
    if case.query and (query := checksummed(case.query)) != case.query:
        case.query = query
    return case


PERSON = PasskeyPerson()

if os.environ.get("LYKOS_SCHEMATHESIS_AUTH") == "1":

    @schemathesis.auth(refresh_interval=120)
    class PasskeyAuth:
        def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
            return PERSON.token()

        def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

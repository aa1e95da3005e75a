"""The live test server under a name passkeys accept, for browser pages and OAuth redirects."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer


@pytest.fixture
def live_origin(live_server: LiveServer, settings: Settings) -> str:
    """Passkeys need a real domain: Chromium refuses 127.0.0.1 as an RP ID, localhost is allowed."""
    origin = live_server.url.replace("127.0.0.1", "localhost")
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [origin]
    return origin

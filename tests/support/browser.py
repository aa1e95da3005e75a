"""Headless Chromium (Debian's package) as the e2e tests launch it, and a CDP virtual authenticator per page."""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",  # required as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _cdp(page: Any) -> Any:
    """One CDP session per page: virtual authenticators live as long as the session that added them."""
    if getattr(page, "_lykos_cdp", None) is None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        page._lykos_cdp = cdp  # keep the session alive as long as the page
    return page._lykos_cdp


def add_virtual_authenticator(page: Any, *, transport: str = "internal", presence: bool = True) -> str:
    """A platform authenticator with user verification, like a phone with a fingerprint sensor (`transport="usb"`:
    a security key). `presence=False` adds it untouched: it answers no ceremony until `set_presence` says so, which
    is how a test chooses which of two authenticators the person touches."""
    result = _cdp(page).send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": transport,
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": presence,
            }
        },
    )
    return str(result["authenticatorId"])


def set_presence(page: Any, authenticator_id: str, touched: bool) -> None:
    """Whether the person touches this authenticator when the page asks for a passkey."""
    _cdp(page).send(
        "WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": authenticator_id, "enabled": touched}
    )

"""Drive tests/support/strict_rp.mjs (openid-client 6, unmodified) through one sign-in: it asks where to send
the person, the test's person logs in and consents, the script redeems the code and reports what it validated."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("strict_rp.mjs")
NODE = os.environ.get("NODE", "node")


class StrictClientRefused(AssertionError):
    """openid-client refused something the server sent: the message says what, as the library put it."""


def strict_sign_in(
    *, issuer: str, client_id: str, client_secret: str, redirect_uri: str, scope: str, person_goes: Callable[[str], str]
) -> dict[str, Any]:
    """Run one sign-in; `person_goes(authorization_url)` returns the URL the person was sent back to."""
    process = subprocess.Popen(
        # localhost must mean the live server's 127.0.0.1, not ::1 (Node's resolver answers verbatim).
        [NODE, "--dns-result-order=ipv4first", str(SCRIPT), issuer, client_id, client_secret, redirect_uri, scope],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=SCRIPT.parents[2],  # the project root: node_modules is found from there
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        first = _read(process)
        callback = person_goes(first["authorization_url"])
        process.stdin.write(json.dumps({"callback_url": callback}) + "\n")
        process.stdin.flush()
        return _read(process)
    finally:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=30)
        stderr = process.stderr.read() if process.stderr else ""
        raise StrictClientRefused(f"openid-client script ended without answering: {stderr}")
    message: dict[str, Any] = json.loads(line)
    if "error" in message:
        raise StrictClientRefused(f"{message['code']}: {message['error']} ({message.get('cause')})")
    return message

"""The Django session the authorize page runs on remembers which identity session opened it.

`POST /api/v1/oauth/session` turns a fresh access token into a browser session; the identity session (the
passkey login) it came from is what says how and when the user authenticated, which the id_token reports
(`amr`, `auth_time`), and what must end the browser session when it is revoked.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest

IDENTITY_SESSION_KEY = "lykos_identity_session_id"


def identity_session_remember(request: HttpRequest, *, session_id: uuid.UUID) -> None:
    """Call after `login()`, which starts a new session (Django cycles the key and keeps nothing of before)."""
    request.session[IDENTITY_SESSION_KEY] = str(session_id)


def identity_session_of(request: HttpRequest) -> uuid.UUID | None:
    """The identity session behind this browser session, or None (e.g. a staff member's admin login)."""
    value = request.session.get(IDENTITY_SESSION_KEY) if hasattr(request, "session") else None
    try:
        return uuid.UUID(value) if value else None
    except (TypeError, ValueError):
        return None

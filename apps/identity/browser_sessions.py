"""Browser (Django) sessions opened from an identity session live and die with it.

A wallet user has no password: the OAuth authorize page knows them through a Django session that
`POST /api/v1/oauth/session` opens from a fresh access token. That cookie would otherwise outlive everything that
ends the identity session (a device revoked or flagged as a clone, "log out everywhere", a reused refresh token),
so the session stores the identity session's id and this middleware checks it on every request: once the
identity session is gone, the browser session is flushed before any view sees the user.

Only the admin's own password login (`StaffPasswordBackend`) opens a browser session that is not tied to one;
every other authenticated browser session must carry a live identity session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, login, logout
from django.http import HttpRequest, HttpResponse

from apps.identity.models import User
from apps.identity.selectors import session_is_live

#: Where a browser session keeps the id of the identity session it was opened from.
IDENTITY_SESSION_KEY = "_lykos_identity_session_id"
#: The one backend whose sessions stand on their own: staff who logged in to the admin with a password.
PASSWORD_BACKEND = "apps.identity.backends.StaffPasswordBackend"


def browser_session_login(request: HttpRequest, *, user: User, identity_session_id: uuid.UUID, backend: str) -> None:
    """Log the browser in as `user`, tied to the identity session the caller's access token proved."""
    login(request, user, backend=backend)
    request.session[IDENTITY_SESSION_KEY] = str(identity_session_id)


def browser_session_identity(request: HttpRequest) -> uuid.UUID | None:
    """The identity session this browser session was opened from (None: anonymous, or a staff password login)."""
    value = request.session.get(IDENTITY_SESSION_KEY) if hasattr(request, "session") else None
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def browser_session_is_live(request: HttpRequest) -> bool:
    """Whether the request's authenticated browser session may stand (True for anonymous ones: nothing to end)."""
    session = request.session
    user_id = session.get(SESSION_KEY)
    if user_id is None or session.get(BACKEND_SESSION_KEY) == PASSWORD_BACKEND:
        return True
    identity_session_id = session.get(IDENTITY_SESSION_KEY)
    if not identity_session_id:
        return False  # a passkey browser session that is tied to nothing cannot be checked, so it does not stand
    return session_is_live(session_id=identity_session_id, user_id=user_id)


class IdentityBoundSessionMiddleware:
    """After `AuthenticationMiddleware`: ends a browser session whose identity session has ended."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not browser_session_is_live(request):
            logout(request)  # flushes the session and makes request.user anonymous for the view
        return self.get_response(request)

"""A session backend for wallet users who proved themselves with a passkey a moment ago.

It never authenticates anything itself (`authenticate` returns None): the session is opened by
`django.contrib.auth.login(..., backend=...)` after the identity API verified a passkey and issued an access
token, and this class only reloads the user on later requests. Staff passwords stay with StaffPasswordBackend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from apps.identity.selectors import user_get

if TYPE_CHECKING:
    from apps.identity.models import User


class PasskeySessionBackend(BaseBackend):
    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        return user_get(user_id=user_id, active_only=True)

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from apps.identity.models import User


class StaffPasswordBackend(ModelBackend):
    """Passwords open the admin for staff only; a wallet user's account is reachable by passkey alone."""

    def user_can_authenticate(self, user: User) -> bool:  # type: ignore[override]
        return bool(user.is_staff) and super().user_can_authenticate(user)

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ):  # type: ignore[no-untyped-def,override]
        if username is not None:
            username = (
                User.objects.filter(username__iexact=username).values_list("username", flat=True).first() or username
            )
        return super().authenticate(request, username=username, password=password, **kwargs)

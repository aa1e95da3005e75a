from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from apps.identity.models import User


class StaffPasswordBackend(ModelBackend):
    """Passwords open the admin for staff only; a wallet user's account is reachable by passkey alone."""

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        return user is not None and bool(user.is_staff) and super().user_can_authenticate(user)

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if username is not None:
            username = (
                User.objects.filter(username__iexact=username).values_list("username", flat=True).first() or username
            )
        return super().authenticate(request, username=username, password=password, **kwargs)

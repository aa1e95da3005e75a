"""Who is calling, typed, for views behind `IsAuthenticated` (any app's).

`request.user` is typed `User | AnonymousUser` and `request.auth` as whatever the authentication class
returned, although the permission already refused anonymous calls. These helpers narrow them once, and
refuse as the permission would if a view is ever mounted without it, instead of every view casting.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from apps.identity.models import User
from apps.identity.services.tokens import AccessClaims
from lykos.errors import NotAuthenticated


def authenticated_user(request: Request | HttpRequest) -> User:
    """The signed-in user; `NotAuthenticated` (401) for an anonymous request."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def access_claims(request: Request) -> AccessClaims:
    """The access token's claims (session, device) of a call authenticated by `AccessTokenAuthentication`."""
    claims = request.auth
    if not isinstance(claims, AccessClaims):
        raise NotAuthenticated()
    return claims

"""Who is calling, typed, for views behind `IsAuthenticated` (any app's).

`request.user` is typed `User | AnonymousUser` and `request.auth` as whatever the authentication class
returned, although the permission already refused anonymous calls. These helpers narrow them once, and
refuse as the permission would if a view is ever mounted without it, instead of every view casting.

`require_step_up` is the gate of a sensitive operation (any app's): the view names its action and the
parameters the grant must commit to, documents `STEP_UP_HEADER` and `StepUpRequired` in its schema, and calls
it before the service.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from apps.identity.models import Passkey, User
from apps.identity.services.step_up import step_up_consume
from apps.identity.services.tokens import AccessClaims
from lykos.errors import NotAuthenticated

STEP_UP_HEADER_NAME = "X-Step-Up"
#: The header of every operation behind `require_step_up`, for its `extend_schema(parameters=[...])`.
STEP_UP_HEADER = OpenApiParameter(
    name=STEP_UP_HEADER_NAME,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A step-up grant from `POST /api/v1/step-up/verify` for this operation's action and parameters; single use. "
        "Without a valid one the answer is 401 `step_up_required`, whose `details.step_up` holds the options."
    ),
)


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


def require_step_up(request: Request, *, action: str, params: dict[str, Any] | None = None) -> Passkey:
    """Spend the request's `X-Step-Up` grant on `action` with `params`; the passkey that confirmed it.

    Call it before the service: a missing, unknown, used, expired or mismatched grant raises `StepUpRequired`
    (401) carrying fresh options for exactly this action and these parameters.
    """
    user, claims = authenticated_user(request), access_claims(request)
    token = request.headers.get(STEP_UP_HEADER_NAME, "").strip() or None
    return step_up_consume(user=user, session_id=claims.session_id, token=token, action=action, params=params)

"""Bearer access tokens for the API: signature and expiry from the JWT, revocation from Redis and the session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.identity.errors import AccountDisabled, SessionRevoked, TokenExpired, TokenInvalid
from apps.identity.models import Passkey, Session, User
from apps.identity.services import session_touch, tokens
from lykos.errors import DependencyUnavailable, LykosError, RateLimited
from lykos.ratelimit import client_ip, ratelimit_check, ratelimit_hit

INVALID_TOKEN_SCOPE = "token_invalid"


def _refused(error: LykosError) -> exceptions.AuthenticationFailed:
    """Refuse as DRF's own exception, so that DRF marks the request unauthenticated; the code stays the class's."""
    return exceptions.AuthenticationFailed(error.message, code=error.code)


if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """`request.auth` is the token's AccessClaims: which session and device the call comes from."""

    #: Every refusal `authenticate` answers with, whatever the view: the schema documents them on each operation
    #: this class authenticates (lykos.api.AutoSchema), so no view lists them. 503: the revocation cache or the
    #: signing keyring cannot be read. 429: the client's IP sent too many refused tokens.
    errors: tuple[type[LykosError], ...] = (
        TokenInvalid,
        TokenExpired,
        SessionRevoked,
        AccountDisabled,
        DependencyUnavailable,
        RateLimited,
    )

    def authenticate(self, request: Request) -> tuple[User, tokens.AccessClaims] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refused(TokenInvalid("Use 'Authorization: Bearer <access token>'."))
        # A budget of refused tokens per IP, checked before any parsing: forged tokens (made-up kids, junk) cost
        # us a cache read each once it is spent. Expired tokens are normal traffic and do not count.
        ip_key = f"ip:{client_ip(request)}"
        ratelimit_check(scope=INVALID_TOKEN_SCOPE, key=ip_key, fail_open=True)
        try:
            claims = tokens.access_token_decode(token.strip())
        except TokenInvalid as exc:
            ratelimit_hit(scope=INVALID_TOKEN_SCOPE, key=ip_key, fail_open=True)
            raise _refused(exc) from exc
        if tokens.session_revocation_cached(claims.session_id):
            raise _refused(SessionRevoked())
        session = Session.objects.select_related("user", "device").filter(pk=claims.session_id).first()
        if (
            session is None
            or session.revoked_at is not None
            or session.user_id != claims.user_id
            or session.device_id != claims.device_id
            # A flagged or revoked device's tokens stop at once, even if ending its sessions has not reached them.
            or session.device.status != Passkey.Status.ACTIVE
        ):
            raise _refused(SessionRevoked())
        if not session.user.is_active:
            raise _refused(AccountDisabled())
        session_touch(session_id=session.id)
        return session.user, claims

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.identity.api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

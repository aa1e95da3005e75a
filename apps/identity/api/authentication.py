"""Bearer access tokens for the API: signature and expiry from the JWT, revocation from Redis and the session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from apps.identity.models import Session, User
from apps.identity.services import session_touch, tokens

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """`request.auth` is the token's AccessClaims: which session and device the call comes from."""

    def authenticate(self, request: HttpRequest) -> tuple[User, tokens.AccessClaims] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <access token>'.", code="token_invalid")
        try:
            claims = tokens.access_token_decode(token.strip())
        except tokens.TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(str(exc), code=exc.code) from exc
        if tokens.session_revocation_cached(claims.session_id):
            raise exceptions.AuthenticationFailed("This session has been revoked.", code="session_revoked")
        session = Session.objects.select_related("user", "device").filter(pk=claims.session_id).first()
        if (
            session is None
            or session.revoked_at is not None
            or session.user_id != claims.user_id
            or session.device_id != claims.device_id
        ):
            raise exceptions.AuthenticationFailed("This session has been revoked.", code="session_revoked")
        if not session.user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.", code="account_disabled")
        session_touch(session_id=session.id)
        return session.user, claims

    def authenticate_header(self, request: HttpRequest) -> str:
        return 'Bearer realm="api"'


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.identity.api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

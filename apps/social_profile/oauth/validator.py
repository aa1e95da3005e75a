"""The toolkit's request validator with our rules: claims by granted scope under a pairwise `sub`, audited reads,
keys from Vault, per-platform rules only for a platform that authenticated, and how the user authenticated in
the id_token (`amr`, `auth_time`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from oauth2_provider.oauth2_validators import OAuth2Validator

from apps.social_profile import selectors
from apps.social_profile.oauth.calls import platform_admit, platform_refused
from apps.social_profile.oauth.claims import platform_claims, supported_claims
from apps.social_profile.oauth.keys import oidc_keys_apply
from apps.social_profile.services.platforms import (
    authorization_authentication_link,
    authorization_code_checksum,
    data_access_record,
)


class LykosOAuth2Validator(OAuth2Validator):
    # Claims are filtered by scope in `user_claims`, which also applies per-field visibility.
    oidc_claim_scope = None

    def get_discovery_claims(self, request: Any) -> list[str]:
        return supported_claims()

    # --- who is calling: the per-platform rules run here, once the toolkit has authenticated the platform ---

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        authenticated: bool = super().authenticate_client(request, *args, **kwargs)
        if authenticated:
            platform_admit(application=request.client)
        else:
            platform_refused()
        return authenticated

    def validate_bearer_token(self, token: Any, scopes: Any, request: Any) -> bool:
        """A refused bearer token is not counted against the IP: it costs one indexed lookup, and platforms send
        expired ones in the normal course of things."""
        valid: bool = super().validate_bearer_token(token, scopes, request)
        if valid and request.client is not None:
            platform_admit(application=request.client)
        return valid

    # --- claims ----------------------------------------------------------------------------------------------

    def _claims_read(self, request: Any, *, endpoint: str) -> dict[str, Any]:
        """Build the claims and record the read in the same transaction: no read without its audit row."""
        scopes = set(request.scopes or [])
        with transaction.atomic():
            claims = platform_claims(user=request.user, application=request.client, scopes=scopes)
            data_access_record(
                user=request.user,
                application=request.client,
                endpoint=endpoint,
                scopes=sorted(scopes),
                fields=sorted(claims),
            )
        return claims

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        return self._claims_read(request, endpoint="id_token")

    def get_userinfo_claims(self, request: Any) -> dict[str, Any]:
        return self._claims_read(request, endpoint="userinfo")

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> tuple[dict[str, Any], Any]:
        """The toolkit's claims, with `auth_time` and `amr` of the authentication the grant came from (the
        toolkit would say `last_login`, which any later login on another device moves)."""
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        authentication = self._authentication_of(request)
        if authentication is not None:
            claims["auth_time"] = int(authentication.auth_time.timestamp())
            if authentication.amr:
                claims["amr"] = list(authentication.amr)
        return claims, expiration_time

    @staticmethod
    def _authentication_of(request: Any) -> Any:
        if request.grant_type == "authorization_code" and request.code:
            return selectors.authorization_authentication_get(code_checksum=authorization_code_checksum(request.code))
        refresh = getattr(request, "refresh_token_instance", None)
        if request.grant_type == "refresh_token" and refresh is not None:
            return selectors.authorization_authentication_get(token_family=refresh.token_family)
        return None

    def _create_refresh_token(
        self, request: Any, refresh_token_code: str, access_token: Any, previous_refresh_token: Any
    ) -> Any:
        refresh_token = super()._create_refresh_token(request, refresh_token_code, access_token, previous_refresh_token)
        if previous_refresh_token is None and request.grant_type == "authorization_code" and request.code:
            authorization_authentication_link(code=request.code, token_family=refresh_token.token_family)
        return refresh_token

    # --- keys ------------------------------------------------------------------------------------------------

    def finalize_id_token(self, id_token: Any, token: Any, token_handler: Any, request: Any) -> str:
        oidc_keys_apply()
        signed: str = super().finalize_id_token(id_token, token, token_handler, request)
        return signed

    def _get_key_for_token(self, token: Any) -> Any:
        oidc_keys_apply()
        return super()._get_key_for_token(token)

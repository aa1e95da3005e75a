"""The toolkit's request validator with our rules: claims by granted scope, audited reads, keys from Vault."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from oauth2_provider.oauth2_validators import OAuth2Validator

from apps.social_profile.oauth.claims import supported_claims, user_claims
from apps.social_profile.oauth.keys import oidc_keys_apply
from apps.social_profile.services.platforms import data_access_record


class LykosOAuth2Validator(OAuth2Validator):
    # Claims are filtered by scope in `user_claims`, which also applies per-field visibility.
    oidc_claim_scope = None

    def get_discovery_claims(self, request: Any) -> list[str]:
        return supported_claims()

    def _claims_read(self, request: Any, *, endpoint: str) -> dict[str, Any]:
        """Build the claims and record the read in the same transaction: no read without its audit row."""
        scopes = set(request.scopes or [])
        with transaction.atomic():
            claims = user_claims(user=request.user, scopes=scopes)
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

    def finalize_id_token(self, id_token: Any, token: Any, token_handler: Any, request: Any) -> str:
        oidc_keys_apply()
        signed: str = super().finalize_id_token(id_token, token, token_handler, request)
        return signed

    def _get_key_for_token(self, token: Any) -> Any:
        oidc_keys_apply()
        return super()._get_key_for_token(token)

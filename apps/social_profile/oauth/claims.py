"""What a platform sees: OpenID claims built from the scopes the user granted and the fields' visibility."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.chain.selectors import wallet_addresses
from apps.social_profile import selectors
from apps.social_profile.models import ContactChannel, Profile, Visibility
from apps.social_profile.oauth.subjects import pairwise_subject

if TYPE_CHECKING:
    from apps.identity.models import User

# Claim -> scope that releases it. `sub` comes with `openid`.
CLAIM_SCOPES: dict[str, str] = {
    "sub": "openid",
    "preferred_username": "profile",
    "name": "profile",
    "bio": "profile",
    "links": "profile",
    "picture": "profile",
    "header_picture": "profile",
    "updated_at": "profile",
    "email": "email",
    "email_verified": "email",
    "phone_number": "phone",
    "phone_number_verified": "phone",
    "wallet_addresses": "wallet",
    "badges": "badges",
}


def _shared(profile: Profile, field: str) -> bool:
    """A field leaves the wallet for a consenting platform unless the user made it private."""
    return profile.visibility_of(field) != Visibility.PRIVATE


def platform_claims(*, user: User, application: Any, scopes: set[str]) -> dict[str, Any]:
    """What `application` may read of `user` under `scopes`: its pairwise `sub` and the scopes' claims."""
    claims: dict[str, Any] = {}
    if "openid" in scopes:
        claims["sub"] = pairwise_subject(user_id=user.pk, application=application)
    return claims | user_claims(user=user, scopes=scopes)


def user_claims(*, user: User, scopes: set[str]) -> dict[str, Any]:
    """The profile claims for `scopes` only (not `sub`, which depends on the platform: `platform_claims`).
    A claim whose data is absent or private is left out, never null."""
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        profile = selectors.profile_get_or_default(user=user)
        if user.username:
            claims["preferred_username"] = user.username
        if user.display_name and _shared(profile, "display_name"):
            claims["name"] = user.display_name
        if profile.bio and _shared(profile, "bio"):
            claims["bio"] = profile.bio
        if profile.links and _shared(profile, "links"):
            claims["links"] = profile.links
        for field, claim in (("avatar", "picture"), ("header", "header_picture")):
            url = selectors.profile_image_url(profile=profile, field=field)
            if url and _shared(profile, field):
                claims[claim] = url
        claims["updated_at"] = int(profile.updated_at.timestamp())
    for scope, kind, value_claim, flag_claim in (
        ("email", ContactChannel.Kind.EMAIL, "email", "email_verified"),
        ("phone", ContactChannel.Kind.PHONE, "phone_number", "phone_number_verified"),
    ):
        if scope in scopes:
            channel = selectors.verified_channel_get(user=user, kind=kind)
            if channel is not None:
                claims[value_claim] = channel.value
                claims[flag_claim] = True
    if "wallet" in scopes:
        claims["wallet_addresses"] = wallet_addresses(user=user)
    if "badges" in scopes:
        profile = selectors.profile_get_or_default(user=user)
        if _shared(profile, "badges"):
            claims["badges"] = [
                {
                    "type": badge.kind,
                    "method": badge.method,
                    "verified_at": int(badge.verified_at.timestamp()),
                    "expires_at": int(badge.expires_at.timestamp()) if badge.expires_at else None,
                }
                for badge in selectors.badge_current_list(user=user)
            ]
    return claims


def supported_claims() -> list[str]:
    return list(CLAIM_SCOPES)

"""Reads shared by the API, the OAuth claims and the admin."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.social_profile.adapters.storage import get_media_storage
from apps.social_profile.models import (
    AuthorizationAuthentication,
    Badge,
    ConsentGrant,
    ContactChannel,
    DataAccessLog,
    DataExport,
    MediaAsset,
    Profile,
    Visibility,
)
from apps.social_profile.models.profile import VISIBILITY_FIELDS

if TYPE_CHECKING:
    from apps.identity.models import User


def profile_get_or_default(*, user: User) -> Profile:
    """The user's profile, or an unsaved default one (a profile row is created on first edit)."""
    profile = Profile.objects.select_related("avatar", "header").filter(user=user).first()
    return profile or Profile(user=user)


def profile_public_get(*, username: str) -> Profile | None:
    return (
        Profile.objects.select_related("user", "avatar", "header")
        .filter(user__username__iexact=username, user__is_active=True)
        .first()
    )


def profile_image_url(*, profile: Profile, field: str) -> str | None:
    """A short-lived URL of the profile's avatar or header, when it is set and clean."""
    asset: MediaAsset | None = getattr(profile, field)
    if asset is None or asset.status != MediaAsset.Status.CLEAN:
        return None
    return get_media_storage().presigned_get(asset.stored_key, expires=settings.MEDIA_DOWNLOAD_URL_TTL_SECONDS)


def public_fields(*, profile: Profile) -> set[str]:
    return {field for field in VISIBILITY_FIELDS if profile.visibility_of(field) == Visibility.PUBLIC}


def media_get(*, owner: User, asset_id: uuid.UUID) -> MediaAsset | None:
    return MediaAsset.objects.filter(owner=owner, pk=asset_id).first()


def media_list(*, owner: User) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.filter(owner=owner).order_by("-created_at")


def verified_channel_get(*, user: User, kind: str) -> ContactChannel | None:
    return ContactChannel.objects.filter(user=user, kind=kind, verified_at__isnull=False).first()


def channel_list(*, user: User) -> QuerySet[ContactChannel]:
    return ContactChannel.objects.filter(user=user).order_by("kind")


def badge_current_list(*, user: User) -> QuerySet[Badge]:
    now = timezone.now()
    return Badge.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def platform_list(*, user: User) -> QuerySet[ConsentGrant]:
    return ConsentGrant.objects.filter(user=user, revoked_at__isnull=True).select_related("application")


def data_access_list(*, user: User) -> QuerySet[DataAccessLog]:
    return DataAccessLog.objects.filter(user=user).order_by("-created_at", "-id")


def export_get(*, user: User, export_id: uuid.UUID) -> DataExport | None:
    return DataExport.objects.filter(user=user, pk=export_id).first()


def authorization_authentication_get(
    *, code_checksum: str | None = None, token_family: uuid.UUID | None = None
) -> AuthorizationAuthentication | None:
    """How the user authenticated for an authorization code, or for the refresh-token family it started."""
    if code_checksum is not None:
        return AuthorizationAuthentication.objects.filter(code_checksum=code_checksum).first()
    if token_family is not None:
        return AuthorizationAuthentication.objects.filter(token_family=token_family).order_by("-id").first()
    return None

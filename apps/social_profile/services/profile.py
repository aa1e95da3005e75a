"""Profile edits. Username and display name belong to identity's user row and go through its service."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.identity import services as identity_services
from apps.social_profile.audit import SocialProfileAuditEvent
from apps.social_profile.errors import MediaNotReady
from apps.social_profile.models import MediaAsset, Profile
from apps.social_profile.models.profile import VISIBILITY_FIELDS, Visibility, default_visibility
from lykos.audit.services import audit_record
from lykos.errors import InvalidRequest, NotFound


class _Unset:
    pass


UNSET: Any = _Unset()


def _image(user: Any, asset_id: uuid.UUID | None, kind: str) -> MediaAsset | None:
    if asset_id is None:
        return None
    asset = MediaAsset.objects.filter(owner=user, pk=asset_id).first()
    if asset is None:
        raise NotFound("No such image.")
    if asset.kind != kind:
        raise InvalidRequest(f"This upload is not a {kind} image.", details={"fields": {kind: ["wrong_kind"]}})
    if asset.status != MediaAsset.Status.CLEAN:
        raise MediaNotReady(details={"status": asset.status})
    return asset


@transaction.atomic
def profile_update(
    *,
    user: Any,
    username: str | None = None,
    display_name: str | None = None,
    bio: str | None = None,
    links: list[dict[str, str]] | None = None,
    avatar_id: uuid.UUID | None = UNSET,
    header_id: uuid.UUID | None = UNSET,
    visibility: dict[str, str] | None = None,
) -> Profile:
    if username is not None or display_name is not None:
        user = identity_services.profile_update(user=user, username=username, display_name=display_name)
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    before = {"bio_changed": False, "links": len(profile.links), "visibility": dict(profile.visibility)}
    changed: list[str] = []
    if bio is not None:
        profile.bio = bio.strip()[:500]
        changed.append("bio")
    if links is not None:
        profile.links = links
        changed.append("links")
    if avatar_id is not UNSET:
        profile.avatar = _image(user, avatar_id, MediaAsset.Kind.AVATAR)
        changed.append("avatar")
    if header_id is not UNSET:
        profile.header = _image(user, header_id, MediaAsset.Kind.HEADER)
        changed.append("header")
    if visibility is not None:
        unknown = set(visibility) - set(VISIBILITY_FIELDS)
        bad = {k for k, v in visibility.items() if v not in Visibility.values}
        if unknown or bad:
            raise InvalidRequest(
                "Unknown field or visibility.", details={"fields": {"visibility": sorted(unknown | bad)}}
            )
        profile.visibility = {**default_visibility(), **(profile.visibility or {}), **visibility}
        changed.append("visibility")
    profile.updated_at = timezone.now()
    profile.save()
    if changed:
        # Field names and visibility only: the bio and links themselves stay out of the append-only log.
        audit_record(
            event_type=SocialProfileAuditEvent.PROFILE_SOCIAL_UPDATED,
            actor=user,
            subject=profile,
            old_values={"visibility": before["visibility"]},
            new_values={"changed": changed, "visibility": profile.visibility},
        )
    return profile

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Visibility(models.TextChoices):
    PUBLIC = "public"  # on the public profile page and to any platform with the scope
    CONSENT = "consent"  # only to platforms the user consented to (with the scope)
    PRIVATE = "private"  # never leaves the wallet


# Fields whose visibility the user chooses, and their defaults. Username is always public: it is the handle.
VISIBILITY_FIELDS = {
    "display_name": Visibility.PUBLIC,
    "bio": Visibility.PUBLIC,
    "links": Visibility.PUBLIC,
    "avatar": Visibility.PUBLIC,
    "header": Visibility.PUBLIC,
    "badges": Visibility.CONSENT,
}


def default_visibility() -> dict[str, str]:
    return {name: str(value) for name, value in VISIBILITY_FIELDS.items()}


class Profile(models.Model):
    """The social layer on top of identity's user (username and display name stay on the user row)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField("identity.User", on_delete=models.CASCADE, related_name="social_profile")
    bio = models.CharField(max_length=500, blank=True)
    links = models.JSONField(default=list, blank=True)  # [{"label": str, "url": https URL}]
    avatar = models.ForeignKey(
        "social_profile.MediaAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    header = models.ForeignKey(
        "social_profile.MediaAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.JSONField(default=default_visibility)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"

    def visibility_of(self, field: str) -> str:
        chosen: dict[str, str] = self.visibility or {}
        return chosen.get(field, str(VISIBILITY_FIELDS.get(field, Visibility.PRIVATE)))

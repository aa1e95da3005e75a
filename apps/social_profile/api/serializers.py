"""Input and output shapes of the social profile API. Serializers validate and render; they never write."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator, URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.identity.serializer_fields import UsernameField
from apps.social_profile import selectors
from apps.social_profile.models import (
    Badge,
    ConsentGrant,
    DataAccessLog,
    DataExport,
    IdentityReview,
    MediaAsset,
    Profile,
    VerificationCode,
)
from apps.social_profile.models.profile import VISIBILITY_FIELDS, Visibility
from apps.social_profile.services import media, verification
from lykos.api import JsonInput

HTTPS_URL_PATTERN = (
    r"^https://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(/[A-Za-z0-9._~%!$&'()*+,;=:@/?#-]*)?$"
)


class LinkSerializer(JsonInput):
    label = serializers.CharField(max_length=40)  # type: ignore[assignment]  # a declared field, not Field.label
    # An https URL with a DNS host, as a pattern the schema publishes (a strict subset of Django's URLValidator,
    # which still runs): the schema's `format: uri` alone admits URLs the validator refuses.
    url = serializers.CharField(
        max_length=200,
        trim_whitespace=False,
        validators=[
            RegexValidator(HTTPS_URL_PATTERN, message="Links must be https URLs."),
            URLValidator(schemes=["https"]),
        ],
    )


@extend_schema_field(
    {
        "type": "object",
        "properties": {name: {"type": "string", "enum": list(Visibility.values)} for name in VISIBILITY_FIELDS},
        "additionalProperties": False,
    }
)
class VisibilityField(serializers.DictField):
    """Visibility per profile field: only the profile's own fields as keys (the service refuses any other)."""


class ProfileIn(JsonInput):
    username = UsernameField(required=False)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    bio = serializers.CharField(required=False, allow_blank=True, max_length=500)
    links = LinkSerializer(many=True, required=False, max_length=5)  # type: ignore[call-arg]  # ListSerializer takes it
    avatar_id = serializers.UUIDField(required=False, allow_null=True)
    header_id = serializers.UUIDField(required=False, allow_null=True)
    visibility = VisibilityField(
        child=serializers.ChoiceField(choices=Visibility.choices),
        required=False,
        help_text=", ".join(VISIBILITY_FIELDS),
    )


class ProfileOut(serializers.Serializer[Profile]):
    """The owner's own view: every field with its visibility."""

    username = serializers.CharField(source="user.username", allow_null=True)
    display_name = serializers.CharField(source="user.display_name")
    bio = serializers.CharField()
    links = LinkSerializer(many=True)
    avatar_id = serializers.UUIDField(allow_null=True)
    header_id = serializers.UUIDField(allow_null=True)
    avatar_url = serializers.SerializerMethodField()
    header_url = serializers.SerializerMethodField()
    visibility = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_avatar_url(self, obj: Profile) -> str | None:
        return selectors.profile_image_url(profile=obj, field="avatar")

    def get_header_url(self, obj: Profile) -> str | None:
        return selectors.profile_image_url(profile=obj, field="header")

    def get_visibility(self, obj: Profile) -> dict[str, str]:
        return {field: obj.visibility_of(field) for field in VISIBILITY_FIELDS}


class BadgeOut(serializers.ModelSerializer[Badge]):
    type = serializers.CharField(source="kind")

    class Meta:
        model = Badge
        fields = ["type", "method", "verified_at", "expires_at"]


class PublicProfileOut(serializers.Serializer[dict[str, Any]]):
    """Only fields the owner made public; the others are absent, not null."""

    username = serializers.CharField()
    display_name = serializers.CharField(required=False)
    bio = serializers.CharField(required=False)
    links = LinkSerializer(many=True, required=False)
    avatar_url = serializers.CharField(required=False)
    header_url = serializers.CharField(required=False)
    badges = BadgeOut(many=True, required=False)

    @staticmethod
    def render(profile: Profile) -> dict[str, Any]:
        public = selectors.public_fields(profile=profile)
        data: dict[str, Any] = {"username": profile.user.username}
        if "display_name" in public:
            data["display_name"] = profile.user.display_name
        if "bio" in public:
            data["bio"] = profile.bio
        if "links" in public:
            data["links"] = profile.links
        for field in ("avatar", "header"):
            url = selectors.profile_image_url(profile=profile, field=field) if field in public else None
            if url:
                data[f"{field}_url"] = url
        if "badges" in public:
            data["badges"] = BadgeOut(selectors.badge_current_list(user=profile.user), many=True).data
        return data


class UploadIn(JsonInput):
    kind = serializers.ChoiceField(choices=MediaAsset.Kind.choices)
    content_type = serializers.CharField(max_length=64)

    @staticmethod
    def openapi_schema() -> dict[str, Any]:
        """The kinds and the content types each takes (`media.ALLOWED_TYPES`) as one alternative per set of types,
        so a client generated from the schema cannot ask for a combination the service refuses."""
        by_types: dict[tuple[str, ...], list[str]] = {}
        for kind, types in media.ALLOWED_TYPES.items():
            by_types.setdefault(tuple(sorted(types)), []).append(str(kind))
        return {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["kind", "content_type"],
                    "properties": {
                        "kind": {"type": "string", "enum": kinds},
                        "content_type": {"type": "string", "enum": list(types)},
                    },
                }
                for types, kinds in by_types.items()
            ]
        }


class PresignedPostOut(serializers.Serializer[dict[str, Any]]):
    url = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField())  # type: ignore[assignment]  # a declared field


class MediaOut(serializers.ModelSerializer[MediaAsset]):
    url = serializers.SerializerMethodField(help_text="Short-lived download URL of a clean image.")

    class Meta:
        model = MediaAsset
        fields = ["id", "kind", "status", "declared_content_type", "size", "rejection_reason", "created_at", "url"]

    def get_url(self, obj: MediaAsset) -> str | None:
        if obj.status != MediaAsset.Status.CLEAN or obj.kind == MediaAsset.Kind.DOCUMENT:
            return None
        from django.conf import settings

        from apps.social_profile.adapters.storage import get_media_storage

        return get_media_storage().presigned_get(obj.stored_key, expires=settings.MEDIA_DOWNLOAD_URL_TTL_SECONDS)


class UploadOut(serializers.Serializer[dict[str, Any]]):
    media = MediaOut()
    upload = PresignedPostOut()


class EmailStartIn(JsonInput):
    email = serializers.CharField(
        max_length=verification.EMAIL_MAX_LENGTH,
        trim_whitespace=False,
        validators=[RegexValidator(verification.EMAIL_PATTERN, message="Not an email address.")],
    )


class PhoneStartIn(JsonInput):
    phone = serializers.CharField(
        max_length=verification.PHONE_MAX_LENGTH,
        trim_whitespace=False,
        validators=[
            RegexValidator(
                verification.PHONE_PATTERN, message="A phone number in international format, e.g. +14155550123."
            )
        ],
    )


class ChallengeOut(serializers.Serializer[VerificationCode]):
    challenge_id = serializers.UUIDField(source="id")
    expires_at = serializers.DateTimeField()


class ConfirmIn(JsonInput):
    challenge_id = serializers.UUIDField()
    code = serializers.RegexField(r"^\d{6}$")


class LinkConfirmIn(JsonInput):
    token = serializers.CharField(max_length=100)


class IdentityReviewIn(JsonInput):
    document_id = serializers.UUIDField()


class IdentityReviewOut(serializers.Serializer[IdentityReview]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class PlatformOut(serializers.ModelSerializer[ConsentGrant]):
    client_id = serializers.CharField(source="application.client_id")
    name = serializers.CharField(source="application.name")
    scopes = serializers.SerializerMethodField()
    authorized_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ConsentGrant
        fields = ["client_id", "name", "scopes", "authorized_at", "updated_at", "last_read_at"]

    def get_scopes(self, obj: ConsentGrant) -> list[str]:
        return obj.granted_scopes.split()


class DataAccessOut(serializers.ModelSerializer[DataAccessLog]):
    platform = serializers.SerializerMethodField()
    scopes = serializers.SerializerMethodField()

    class Meta:
        model = DataAccessLog
        fields = ["id", "client_id", "platform", "endpoint", "scopes", "fields", "created_at"]

    def get_platform(self, obj: DataAccessLog) -> str:
        return obj.application.name if obj.application else obj.client_id

    def get_scopes(self, obj: DataAccessLog) -> list[str]:
        return obj.scopes.split()


class ExportOut(serializers.ModelSerializer[DataExport]):
    class Meta:
        model = DataExport
        fields = ["id", "status", "created_at", "ready_at", "downloaded_at"]


class BrowserSessionOut(serializers.Serializer[dict[str, Any]]):
    session = serializers.CharField(help_text='"opened": the browser now has a session for the authorize page.')

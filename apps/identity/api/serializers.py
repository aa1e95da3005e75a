"""Input and output shapes of the identity API. Serializers validate and render; they never write."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.identity.models import Passkey, RewardEntry, Session, User
from apps.identity.serializer_fields import CredentialField
from apps.identity.services import IssuedTokens, StepUpAction


class RegisterOptionsIn(serializers.Serializer[None]):
    username = serializers.CharField(required=False, allow_blank=True, max_length=64)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    referral_code = serializers.CharField(required=False, allow_blank=True, max_length=16)


class LoginOptionsIn(serializers.Serializer[None]):
    username = serializers.CharField(required=False, allow_blank=True, max_length=64)


class CeremonyOptionsOut(serializers.Serializer[dict[str, Any]]):
    ceremony_id = serializers.CharField(help_text="Send it back with the passkey response; single use.")
    publicKey = serializers.DictField(help_text="Options for navigator.credentials.create/get (base64url).")


class RegisterVerifyIn(serializers.Serializer[None]):
    ceremony_id = serializers.CharField(max_length=64)
    credential = CredentialField()
    device_name = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")


class LoginVerifyIn(serializers.Serializer[None]):
    ceremony_id = serializers.CharField(max_length=64)
    credential = CredentialField()


class RefreshIn(serializers.Serializer[None]):
    refresh_token = serializers.CharField(max_length=256)


class UserOut(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "referral_code", "date_joined"]


class DeviceOut(serializers.ModelSerializer[Passkey]):
    credential_id = serializers.SerializerMethodField()

    class Meta:
        model = Passkey
        fields = [
            "id",
            "name",
            "status",
            "credential_id",
            "transports",
            "aaguid",
            "backup_eligible",
            "backed_up",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_credential_id(self, obj: Passkey) -> str:
        from webauthn.helpers import bytes_to_base64url

        return bytes_to_base64url(bytes(obj.credential_id))


class TokensOut(serializers.Serializer[dict[str, Any]]):
    token_type = serializers.CharField(default="Bearer")
    access_token = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_token = serializers.CharField()
    refresh_expires_at = serializers.DateTimeField()
    session_id = serializers.UUIDField()
    user = UserOut()
    device = DeviceOut()

    @staticmethod
    def render(issued: IssuedTokens) -> dict[str, Any]:
        return TokensOut(
            {
                "token_type": "Bearer",
                "access_token": issued.access_token,
                "access_expires_at": issued.access_expires_at,
                "refresh_token": issued.refresh_token,
                "refresh_expires_at": issued.refresh_expires_at,
                "session_id": issued.session.id,
                "user": issued.session.user,
                "device": issued.session.device,
            }
        ).data


class MeIn(serializers.Serializer[None]):
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    username = serializers.CharField(required=False, max_length=64)


class DeviceAddVerifyIn(RegisterVerifyIn):
    pass


class DeviceRenameIn(serializers.Serializer[None]):
    name = serializers.CharField(max_length=64)


class SessionOut(serializers.ModelSerializer[Session]):
    current = serializers.SerializerMethodField()
    device_name = serializers.CharField(source="device.name")

    class Meta:
        model = Session
        fields = ["id", "device", "device_name", "created_at", "last_seen_at", "user_agent", "revoked_at", "current"]

    def get_current(self, obj: Session) -> bool:
        return str(obj.id) == str(self.context.get("current_session_id"))


class RevokeAllIn(serializers.Serializer[None]):
    keep_current = serializers.BooleanField(default=False)


class RevokeAllOut(serializers.Serializer[dict[str, Any]]):
    revoked = serializers.IntegerField()


class RewardEntryOut(serializers.ModelSerializer[RewardEntry]):
    class Meta:
        model = RewardEntry
        fields = ["id", "kind", "points", "created_at"]


class RewardsOut(serializers.Serializer[dict[str, Any]]):
    balance = serializers.IntegerField()
    referral_code = serializers.CharField()


class EraseOut(serializers.Serializer[dict[str, Any]]):
    erased = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="What was deleted, by kind")


class StepUpOptionsIn(serializers.Serializer[None]):
    action = serializers.ChoiceField(choices=StepUpAction.choices)
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text="The parameters of the protected request, exactly as it will send them (e.g. a device id).",
    )


class StepUpOptionsOut(serializers.Serializer[dict[str, Any]]):
    ceremony_id = serializers.CharField(help_text="Send it back with the passkey response; single use.")
    public_key = serializers.DictField(help_text="Options for navigator.credentials.get (base64url).")


class StepUpVerifyIn(serializers.Serializer[None]):
    ceremony_id = serializers.CharField(max_length=64)
    credential = CredentialField()


class StepUpVerifyOut(serializers.Serializer[dict[str, Any]]):
    step_up_token = serializers.CharField(help_text="Send it once as the `X-Step-Up` header of the protected request.")
    action = serializers.ChoiceField(choices=StepUpAction.choices)
    expires_at = serializers.DateTimeField()

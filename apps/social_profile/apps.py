from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from apps.identity.models import User


class SocialProfileConfig(AppConfig):
    name = "apps.social_profile"
    label = "social_profile"
    verbose_name = "Social profile and OAuth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from apps.identity.signals import user_erasing
        from apps.social_profile.oauth.cors import platform_origin_allowed

        # Platforms' registered origins are allowed by the CORS layer, on the OAuth endpoints only.
        check_request_enabled.connect(platform_origin_allowed, dispatch_uid="social_profile_platform_cors")
        user_erasing.connect(_social_data_erase, dispatch_uid="social_profile.social_data_erase")


def _social_data_erase(sender: type, *, user: User, **kwargs: Any) -> dict[str, int]:
    from apps.social_profile.services.privacy import social_data_erase

    return social_data_erase(user=user)

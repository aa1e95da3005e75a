from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from apps.identity.models import Passkey, User

logger = logging.getLogger(__name__)


class SocialProfileConfig(AppConfig):
    name = "apps.social_profile"
    label = "social_profile"
    verbose_name = "Social profile and OAuth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from apps.identity.signals import device_added, user_erasing
        from apps.social_profile.oauth.cors import platform_origin_allowed

        # Platforms' registered origins are allowed by the CORS layer, on the OAuth endpoints only.
        check_request_enabled.connect(platform_origin_allowed, dispatch_uid="social_profile_platform_cors")
        user_erasing.connect(_social_data_erase, dispatch_uid="social_profile.social_data_erase")
        device_added.connect(_new_device_alert, dispatch_uid="social_profile.new_device_alert")


def _social_data_erase(sender: type, *, user: User, **kwargs: Any) -> dict[str, int]:
    from apps.social_profile.services.privacy import social_data_erase

    return social_data_erase(user=user)


def _new_device_alert(
    sender: type, *, passkey: Passkey, ip_address: str | None = None, user_agent: str = "", **kwargs: Any
) -> None:
    """After the add commits. Never raises: `device_added` is sent with `send`, so a failure here would keep
    the receivers after it (the on-chain owner change) from running."""
    from apps.social_profile.services.alerts import new_device_alert_send

    try:
        new_device_alert_send(passkey=passkey, ip_address=ip_address, user_agent=user_agent)
    except Exception:
        logger.exception("new-device alert failed", extra={"passkey": str(passkey.id)})

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from apps.identity.models import User


class SecurityConfig(AppConfig):
    name = "apps.security"
    label = "security"
    verbose_name = "Security (G0): simulation, risk, threat lists, fraud review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.identity.signals import user_erasing
        from apps.security import signals  # noqa: F401  (connects the SecurityEvent receiver)

        user_erasing.connect(_security_data_erase, dispatch_uid="security.security_data_erase")


def _security_data_erase(sender: type, *, user: User, **kwargs: Any) -> dict[str, int]:
    from apps.security.services import security_data_erase

    return security_data_erase(user=user)

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from apps.identity.models import Passkey


class PaymasterConfig(AppConfig):
    """Transactions as UserOperations: build, scan, sponsor, passkey-sign, bundle, follow to the receipt."""

    name = "apps.paymaster"
    label = "paymaster"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.identity.signals import device_added, device_revoked

        device_added.connect(_owner_add_prepare, dispatch_uid="paymaster.owner_add_prepare")
        device_revoked.connect(_owner_remove_prepare, dispatch_uid="paymaster.owner_remove_prepare")


def _owner_add_prepare(sender: type, *, passkey: Passkey, **kwargs: Any) -> None:
    from apps.paymaster.services import device_owner_changes_prepare

    device_owner_changes_prepare(passkey=passkey, added=True)


def _owner_remove_prepare(sender: type, *, passkey: Passkey, **kwargs: Any) -> None:
    from apps.paymaster.services import device_owner_changes_prepare

    device_owner_changes_prepare(passkey=passkey, added=False)

from django.apps import AppConfig


class PaymasterConfig(AppConfig):
    """Transactions as UserOperations: build, scan, sponsor, passkey-sign, bundle, follow to the receipt."""

    name = "apps.paymaster"
    label = "paymaster"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.identity.services import device_hook_register
        from apps.paymaster.services import device_changed_hook

        device_hook_register(device_changed_hook)

from django.apps import AppConfig


class PaymasterConfig(AppConfig):
    """Transactions as UserOperations: build, scan, sponsor, passkey-sign, bundle, follow to the receipt."""

    name = "apps.paymaster"
    label = "paymaster"
    default_auto_field = "django.db.models.BigAutoField"

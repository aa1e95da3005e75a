from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "apps.security"
    label = "security"
    verbose_name = "Security (G0): simulation, risk, threat lists, fraud review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.security import signals  # noqa: F401  (connects the SecurityEvent receiver)

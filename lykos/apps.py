from django.apps import AppConfig


class LykosConfig(AppConfig):
    """The project package doubles as the home of cross-cutting models (audit log) and commands."""

    name = "lykos"
    label = "lykos"
    verbose_name = "LyKos platform"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class LykosConfig(AppConfig):
    """The project package doubles as the home of cross-cutting models (audit log) and commands."""

    name = "lykos"
    label = "lykos"
    verbose_name = "LyKos platform"
    default_auto_field = "django.db.models.BigAutoField"


class LykosAdminConfig(AdminConfig):
    """`django.contrib.admin` with `lykos.admin_site.LykosAdminSite` as `admin.site` (Django's documented way to
    replace the default site): the admin wants its own password login, whatever other session a browser holds."""

    default_site = "lykos.admin_site.LykosAdminSite"

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class LykosConfig(AppConfig):
    """The project package doubles as the home of cross-cutting models (audit log) and commands."""

    name = "lykos"
    label = "lykos"
    verbose_name = "LyKos platform"
    default_auto_field = "django.db.models.BigAutoField"


class LykosAdminConfig(AdminConfig):
    """`django.contrib.admin` with our site as `admin.site` (Django's documented way to replace the default site):
    the admin wants its own password login, whatever other session a browser holds, and the staff member's
    passkey as a second factor where they hold one (identity's subclass of `lykos.admin_site.LykosAdminSite`)."""

    default_site = "apps.identity.admin_site.StaffAdminSite"

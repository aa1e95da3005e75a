from django.contrib import admin

from apps.identity.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ("id", "username", "display_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_active")
    search_fields = ("id", "username", "display_name")
    readonly_fields = ("id", "date_joined", "last_login", "password")
    exclude = ("user_permissions",)

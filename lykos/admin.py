"""The audit trail in the admin, read-only: the chain is only ever appended to by `lykos.audit.services`."""

from django.contrib import admin
from django.http import HttpRequest

from lykos.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: reviewers search the trail; nobody edits it."""

    list_display = ("id", "created_at", "event_type", "actor_type", "actor_id", "subject_type", "subject_id")
    list_filter = ("event_type", "actor_type", "subject_type")
    search_fields = ("actor_id", "subject_id", "request_id", "event_type")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

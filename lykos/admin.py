"""The audit trail in the admin, read-only: the chain is only ever appended to by `lykos.audit.services`."""

import json

from django.contrib import admin
from django.http import HttpRequest

from lykos.audit.models import AuditEvent
from lykos.audit.services import SEALED_KEY, audit_values


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: reviewers search the trail; nobody edits it."""

    list_display = ("id", "created_at", "event_type", "actor_type", "actor_id", "subject_type", "subject_id")
    list_filter = ("event_type", "actor_type", "subject_type")
    search_fields = ("actor_id", "subject_id", "request_id", "event_type")
    date_hierarchy = "created_at"
    readonly_fields = ("recorded_values",)

    @admin.display(description="values (sealed ones opened)")
    def recorded_values(self, obj: AuditEvent) -> str:
        """Values about a person are sealed under their key (lykos.audit.services): shown opened while the person
        exists, and as erased once their key is gone."""
        old, new = audit_values(obj)
        sealed = isinstance(obj.new_values, dict) and SEALED_KEY in obj.new_values
        if sealed and old is None and new is None:
            return "(erased: sealed under a key that was destroyed)"
        return json.dumps({"old": old, "new": new}, indent=1, sort_keys=True, default=str)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

"""The admin site: staff reach it only through its own password login, and its actions declare permissions.

A wallet user who is also staff holds a browser session opened from a passkey login for the OAuth pages; that
session must not double as an admin session that skipped the password. `has_permission` therefore also asks
which backend authenticated the session, so such a staff member meets the admin login form at /admin/.

`PermissionedModelAdmin` makes a refused action a 403: Django's own check only hides the action from the
changelist, and a POST naming it anyway falls through to "No action selected".
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse


class LykosAdminSite(AdminSite):
    site_header = "LyKos administration"

    def has_permission(self, request: HttpRequest) -> bool:
        backend = request.session.get(BACKEND_SESSION_KEY) if hasattr(request, "session") else None
        return super().has_permission(request) and backend in settings.ADMIN_AUTHENTICATION_BACKENDS


_M = TypeVar("_M", bound=Model)


class PermissionedModelAdmin(ModelAdmin[_M]):
    """Refuse (403) a posted admin action the user's permissions do not allow, instead of ignoring it."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Checked before Django looks at actions at all: with none allowed it would not even call response_action.
        if request.method == "POST":
            for name in request.POST.getlist("action"):
                if name in self._declared_actions() and name not in self.get_actions(request):
                    raise PermissionDenied(f"Your permissions do not allow the admin action {name!r}.")
        return super().changelist_view(request, extra_context)

    def _declared_actions(self) -> set[str]:
        """Every action this admin offers anyone (its own and the site's), before permissions filter them."""
        own = (self.get_action(action) for action in self.actions or [])
        return {found[1] for found in own if found} | {name for name, _func in self.admin_site.actions}

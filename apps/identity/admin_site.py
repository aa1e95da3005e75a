"""The admin site: a password login and, for staff who hold a passkey, that passkey as a second factor.

`lykos.admin_site.LykosAdminSite` already refuses every session the password backend did not open (a passkey
browser session for the OAuth pages never opens the admin). This subclass adds the second factor: after the
password, a staff member with an active passkey is sent to `/admin/passkey/` and must answer a user-verified
WebAuthn request with it; until then the admin treats them as not logged in. Staff without a passkey keep the
password alone (recorded in docs/decisions.md).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from apps.identity.models import User
from apps.identity.services.admin_login import (
    admin_second_factor_begin,
    admin_second_factor_complete,
    admin_second_factor_required,
)
from lykos.admin_site import LykosAdminSite
from lykos.errors import LykosError

#: Set in the browser session (to the user's id) once the passkey confirmed the password login.
SECOND_FACTOR_KEY = "_lykos_admin_passkey_user"
PASSWORD_BACKEND = "apps.identity.backends.StaffPasswordBackend"


class StaffAdminSite(LykosAdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and self._second_factor_done(request)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [path("passkey/", never_cache(self.passkey_view), name="passkey"), *super().get_urls()]

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().login(request, extra_context)
        if self._awaiting_passkey(request):
            return HttpResponseRedirect(f"{reverse('admin:passkey')}?{REDIRECT_FIELD_NAME}={self._next(request)}")
        return response

    def passkey_view(self, request: HttpRequest) -> HttpResponse:
        """GET: a WebAuthn request for the staff member's passkeys. POST: its answer; success opens the admin."""
        if not self._awaiting_passkey(request):
            return HttpResponseRedirect(
                reverse("admin:index") if self.has_permission(request) else reverse("admin:login")
            )
        user = request.user
        assert isinstance(user, User)  # _awaiting_passkey checked it
        error = ""
        if request.method == "POST":
            try:
                credential = json.loads(request.POST.get("credential", "") or "null")
                if not isinstance(credential, dict):
                    raise ValueError("no credential")
                admin_second_factor_complete(
                    user=user, ceremony_id=request.POST.get("ceremony_id", ""), credential=credential
                )
            except LykosError as exc:
                error = exc.message
            except ValueError:
                error = "Answer with your passkey."
            else:
                request.session.cycle_key()
                request.session[SECOND_FACTOR_KEY] = str(user.pk)
                return HttpResponseRedirect(self._next(request))
        context = {
            **self.each_context(request),
            "title": "Confirm with your passkey",
            "begun": admin_second_factor_begin(user=user),
            "next": self._next(request),
            "error": error,
        }
        return TemplateResponse(request, "admin/identity/passkey.html", context, status=400 if error else 200)

    def _second_factor_done(self, request: HttpRequest) -> bool:
        user = request.user
        if not isinstance(user, User):
            return False
        return request.session.get(SECOND_FACTOR_KEY) == str(user.pk) or not admin_second_factor_required(user=user)

    def _awaiting_passkey(self, request: HttpRequest) -> bool:
        """Password accepted for active staff, passkey not yet given."""
        user = request.user
        return (
            isinstance(user, User)
            and user.is_active
            and user.is_staff
            and request.session.get(BACKEND_SESSION_KEY) == PASSWORD_BACKEND
            and not self._second_factor_done(request)
        )

    def _next(self, request: HttpRequest) -> str:
        wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
        safe = url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return wanted if wanted and safe else reverse("admin:index")

"""Scopes a platform may request: the configured scopes intersected with the platform's own allow-list."""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import SettingsScopes


class PlatformScopes(SettingsScopes):
    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        available: list[str] = super().get_available_scopes(application, request, *args, **kwargs)
        if application is None:
            return available  # discovery: everything the provider supports
        from apps.social_profile.models import PlatformRules

        rules = PlatformRules.objects.filter(application=application).first()
        allowed = rules.scopes if rules is not None else {"openid"}
        return [scope for scope in available if scope in allowed]

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        return ["openid"]

"""The toolkit's OAuth/OIDC views with our rules: consent page and remembered grants, per-platform limits
and metering, keys from the secrets provider, introspection limited to the platform's own tokens."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.scopes import get_scopes_backend
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from apps.identity.browser_sessions import browser_session_identity
from apps.identity.requests import authenticated_user
from apps.identity.selectors import session_authentication, session_with_device
from apps.social_profile.oauth.calls import platform_call, platform_calling
from apps.social_profile.oauth.keys import oidc_keys_apply
from apps.social_profile.oauth.subjects import pairwise_subject
from apps.social_profile.services import platforms as platform_services
from lykos.errors import LykosError, json_error_response
from lykos.ratelimit import client_ip

REQUIRED_SCOPES = {"openid"}


def _origin(url: str) -> str:
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}"


class ConsentView(dot_views.AuthorizationView):
    """GET shows what the platform asks for (or skips a remembered grant); POST grants the ticked scopes."""

    template_name = "social_profile/consent.html"
    success_url: str | None = None  # set by the toolkit's form_valid to where it redirects

    if TYPE_CHECKING:  # the toolkit's own methods this view calls, typed here because it ships no types

        def error_response(self, error: OAuthToolkitError, application: Any, **kwargs: Any) -> HttpResponse: ...

        def redirect(self, redirect_to: str, application: Any) -> HttpResponse: ...

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        prompt = set(request.GET.get("prompt", "").split())
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        if credentials.get("code_challenge_method") != "S256":
            # Refuse `plain` before the user is asked anything (the toolkit would only refuse after consent).
            refusal = oauth_errors.InvalidRequestError(
                description='PKCE with code_challenge_method "S256" is required.', state=credentials.get("state")
            )
            return self.error_response(
                OAuthToolkitError(refusal, redirect_uri=credentials["redirect_uri"]), application
            )
        if "login" not in prompt and self._authentication_too_old(request):
            return self._login_again(request)
        if "consent" not in prompt and "login" not in prompt:
            remembered = platform_services.consent_remembered_scopes(
                user=authenticated_user(request), application=application, requested=scopes
            )
            if remembered is not None:
                try:
                    with transaction.atomic():
                        uri, _headers, _body, _status = self.create_authorization_response(
                            request=request, scopes=" ".join(remembered), credentials=credentials, allow=True
                        )
                        self._authentication_record(uri, application)
                except OAuthToolkitError as error:
                    return self.error_response(error, application)
                return self.redirect(uri, application)
        response: HttpResponse = super().get(request, *args, **kwargs)
        redirect_uri = request.GET.get("redirect_uri", "")
        if response.status_code == 200 and redirect_uri:
            # Chromium applies CSP form-action to the redirect that follows the consent form's POST.
            form_action = ["'self'", _origin(redirect_uri)]
            response._csp_update = {"form-action": form_action}  # type: ignore[attr-defined]  # read by django-csp
        return response

    @staticmethod
    def _authentication_too_old(request: HttpRequest) -> bool:
        """OIDC Core 3.1.2.1 `max_age`: the user must authenticate again when their last authentication is older
        (the id_token's `auth_time` says which authentication that was; a strict client checks it)."""
        try:
            max_age = int(request.GET.get("max_age", ""))
        except ValueError:
            return False  # absent or not a number: no requirement
        if max_age < 0:
            return False
        session = session_with_device(session_id=browser_session_identity(request))
        authenticated_at = (
            session_authentication(session=session).auth_time
            if session is not None
            else authenticated_user(request).last_login
        )
        return authenticated_at is None or (timezone.now() - authenticated_at).total_seconds() > max_age

    def _login_again(self, request: HttpRequest) -> HttpResponse:
        """To the login page, then back here without `max_age` (the new login satisfies it; keeping it could loop
        when the login itself takes longer than a small max_age)."""
        query = request.GET.copy()
        query.pop("max_age", None)
        return redirect_to_login(
            f"{request.path}?{query.urlencode()}", resolve_url(self.get_login_url()), self.get_redirect_field_name()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        descriptions = get_scopes_backend().get_all_scopes()
        context["scope_items"] = [
            {"name": scope, "description": descriptions.get(scope, scope), "required": scope in REQUIRED_SCOPES}
            for scope in kwargs.get("scopes", [])
        ]
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        requested = form.cleaned_data.get("scope", "").split()
        ticked = set(self.request.POST.getlist("scope_choice"))
        granted = [scope for scope in requested if scope in REQUIRED_SCOPES or scope in ticked]
        form.cleaned_data["scope"] = " ".join(granted)
        allow = form.cleaned_data.get("allow")
        self.success_url = None
        with transaction.atomic():
            response: HttpResponse = super().form_valid(form)
            if allow and self._code_issued():
                application = get_application_model().objects.get(client_id=form.cleaned_data["client_id"])
                platform_services.consent_grant_record(
                    user=authenticated_user(self.request), application=application, requested=requested, granted=granted
                )
                self._authentication_record(self.success_url or "", application)
        return response

    def _authentication_record(self, redirect_to: str, application: Any) -> None:
        """Remember how the user authenticated for the code in `redirect_to`, for the id_token's amr/auth_time."""
        codes = parse_qs(urlparse(redirect_to).query).get("code")
        if codes:
            platform_services.authorization_authentication_record(
                user=authenticated_user(self.request),
                application=application,
                code=codes[0],
                identity_session_id=browser_session_identity(self.request),
            )

    def _code_issued(self) -> bool:
        """Whether the toolkit's form_valid redirected with an authorization code (a refusal redirects without)."""
        return self.success_url is not None and "code" in parse_qs(urlparse(self.success_url).query)


class _MeteredMixin:
    """Per-platform rules for a platform that proved who it is (see `oauth.calls`); a refusal they raise (429)
    is answered in our error shape. A caller nobody authenticated is left to the toolkit, which refuses it."""

    endpoint = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        dispatch = super().dispatch  # type: ignore[misc]  # a mixin: the toolkit view after it in the MRO dispatches
        if request.method == "OPTIONS":  # CORS preflight: nobody to authenticate
            preflight: HttpResponse = dispatch(request, *args, **kwargs)
            return preflight
        try:
            with platform_call(endpoint=self.endpoint, ip=client_ip(request)):
                response: HttpResponse = dispatch(request, *args, **kwargs)
        except LykosError as exc:
            return _error(exc)
        return response


def _error(exc: LykosError) -> HttpResponse:
    response = json_error_response(exc.code, exc.message, exc.http_status, exc.details)
    for name, value in exc.headers().items():
        response[name] = value
    return response


# Server-to-server endpoints (client credentials or bearer token), CSRF-exempt like the toolkit's own.
@method_decorator(csrf_exempt, name="dispatch")
class TokenView(_MeteredMixin, dot_views.TokenView):
    endpoint = "token"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        oidc_keys_apply()
        response: HttpResponse = super().post(request, *args, **kwargs)
        return response


# Server-to-server endpoints (client credentials or bearer token), CSRF-exempt like the toolkit's own.
@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(_MeteredMixin, dot_views.RevokeTokenView):
    endpoint = "revoke"


# Server-to-server endpoints (client credentials or bearer token), CSRF-exempt like the toolkit's own.
@method_decorator(csrf_exempt, name="dispatch")
class UserInfoView(_MeteredMixin, dot_views.UserInfoView):
    endpoint = "userinfo"


# Server-to-server endpoints (client credentials or bearer token), CSRF-exempt like the toolkit's own.
@method_decorator(csrf_exempt, name="dispatch")
class IntrospectTokenView(_MeteredMixin, dot_views.IntrospectTokenView):
    """RFC 7662, limited to the calling platform's own tokens: another platform's token is 'inactive', so
    introspection cannot be used to learn who uses which platform."""

    endpoint = "introspect"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post(request, *args, **kwargs)
        return self._own_tokens_only(response, token_value=request.POST.get("token", ""))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().get(request, *args, **kwargs)
        return self._own_tokens_only(response, token_value=request.GET.get("token", ""))

    @staticmethod
    def _own_tokens_only(response: HttpResponse, *, token_value: str) -> HttpResponse:
        """Fail closed: an answer about a token is shown only to the authenticated platform it was issued to,
        with that platform's pairwise `sub` and without the username (which would link users across platforms)."""
        if response.status_code != 200:
            return response
        body = json.loads(response.content)
        if not body.get("active"):
            return response
        caller = platform_calling()
        token = (
            get_access_token_model()
            .objects.filter(token_checksum=hashlib.sha256(token_value.encode()).hexdigest())
            .only("application_id", "user_id")
            .first()
        )
        if caller is None or token is None or token.application_id != caller.pk:
            return HttpResponse(json.dumps({"active": False}), content_type="application/json")
        body.pop("username", None)
        if token.user_id is not None:
            body["sub"] = pairwise_subject(user_id=token.user_id, application=caller)
        return HttpResponse(json.dumps(body), content_type="application/json")


class JwksView(dot_views.JwksInfoView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        oidc_keys_apply()
        response: HttpResponse = super().get(request, *args, **kwargs)
        return response


def _metadata_complete(request: HttpRequest, response: HttpResponse, *, oidc: bool) -> HttpResponse:
    """What both discovery documents say beyond the toolkit's: our endpoints, grants and (OIDC) subject type."""
    data = json.loads(response.content)
    data["revocation_endpoint"] = request.build_absolute_uri("/o/revoke_token/")
    data["introspection_endpoint"] = request.build_absolute_uri("/o/introspect/")
    data["grant_types_supported"] = ["authorization_code", "refresh_token"]
    if oidc:
        data["subject_types_supported"] = ["pairwise"]
    response.content = json.dumps(data).encode()
    return response


class DiscoveryView(dot_views.ConnectDiscoveryInfoView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        oidc_keys_apply()
        response: HttpResponse = super().get(request, *args, **kwargs)
        return _metadata_complete(request, response, oidc=True)


class ServerMetadataView(dot_views.OAuthServerMetadataView):
    """RFC 8414 metadata. Mounted as the toolkit's `oauth-server-metadata` under /o/ because the toolkit derives
    the RFC 9207 `iss` of every authorization response from that route: without it `iss` was the bare origin
    while discovery and id_tokens say `<origin>/o`, and strict clients refuse the response."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        oidc_keys_apply()  # the toolkit publishes jwks_uri only once it sees a signing key
        response: HttpResponse = super().get(request, *args, **kwargs)
        return _metadata_complete(request, response, oidc=False)

"""One error shape for every API response: `{"error": {"code", "message", "details"}}`.

Apps raise `LykosError` subclasses with a stable `code`; DRF and Django exceptions are converted here so
that a client never has to parse two formats, and bad input never becomes a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class LykosError(Exception):
    code = "error"
    http_status = 400
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(LykosError):
    code = "validation_error"
    http_status = 400
    default_message = "The request is not valid."


class NotAuthenticated(LykosError):
    code = "not_authenticated"
    http_status = 401
    default_message = "Authentication credentials were not provided."


class Forbidden(LykosError):
    code = "permission_denied"
    http_status = 403
    default_message = "You may not do this."


class NotFound(LykosError):
    code = "not_found"
    http_status = 404
    default_message = "Not found."


class Conflict(LykosError):
    code = "conflict"
    http_status = 409
    default_message = "The request conflicts with the current state."


class RuleRefused(LykosError):
    code = "rule_refused"
    http_status = 422
    default_message = "A business rule refused the request."


class RateLimited(LykosError):
    code = "rate_limited"
    http_status = 429
    default_message = "Too many requests; retry later."

    def __init__(self, message: str | None = None, *, retry_after: int, details: dict[str, Any] | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, details={"retry_after": self.retry_after, **(details or {})})

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class DependencyUnavailable(LykosError):
    code = "dependency_unavailable"
    http_status = 503
    default_message = "A service this request needs is unavailable; retry later."


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _drf_code(exc: drf.APIException) -> tuple[str, str, dict[str, Any]]:
    """Stable codes for DRF's built-in exceptions."""
    if isinstance(exc, drf.ValidationError):
        return "validation_error", "The request is not valid.", {"fields": exc.detail}
    if isinstance(exc, drf.ParseError):
        return "malformed_request", str(exc.detail), {}
    if isinstance(exc, drf.UnsupportedMediaType):
        return "unsupported_media_type", str(exc.detail), {}
    if isinstance(exc, drf.NotAuthenticated):
        return "not_authenticated", str(exc.detail), {}
    if isinstance(exc, drf.AuthenticationFailed):
        # An authentication class may raise with a specific code (e.g. "token_expired").
        code = exc.get_codes()
        return code if isinstance(code, str) else "authentication_failed", str(exc.detail), {}
    if isinstance(exc, drf.PermissionDenied):
        return "permission_denied", str(exc.detail), {}
    if isinstance(exc, drf.NotFound):
        return "not_found", str(exc.detail), {}
    if isinstance(exc, drf.MethodNotAllowed):
        return "method_not_allowed", str(exc.detail), {}
    if isinstance(exc, drf.NotAcceptable):
        return "not_acceptable", str(exc.detail), {}
    if isinstance(exc, drf.Throttled):
        wait: float | None = exc.wait  # type: ignore[attr-defined]  # set by Throttled.__init__; the stub omits it
        return "rate_limited", "Too many requests; retry later.", {"retry_after": int(wait or 1)}
    return "error", str(exc.detail), {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every failure leaves in the one shape."""
    if isinstance(exc, LykosError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.http_status, headers=exc.headers())
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = drf.ValidationError(detail)
    elif isinstance(exc, RequestDataTooBig):
        return Response(error_body("payload_too_large", "The request body is too large."), status=413)
    elif isinstance(exc, SuspiciousOperation):
        return Response(error_body("malformed_request", "The request was refused as malformed."), status=400)

    # Imported here: rest_framework.views loads the throttle classes, which import this module.
    from rest_framework.views import exception_handler as drf_default_handler

    response = drf_default_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's handler500 answers in the same shape
    assert isinstance(exc, drf.APIException)
    code, message, details = _drf_code(exc)
    response.data = error_body(code, message, details)
    if isinstance(exc, drf.Throttled):
        response["Retry-After"] = str(details["retry_after"])
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        # DRF downgrades these to 403 when a view has no authenticator; a missing credential is a 401.
        response.status_code = 401
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def json_error_response(code: str, message: str, status: int, details: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error_response("malformed_request", "The request was refused as malformed.", 400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error_response("permission_denied", "You may not do this.", 403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error_response("not_found", "No such resource.", 404)


def handler500(request: HttpRequest) -> JsonResponse:
    return json_error_response("internal_error", "Something went wrong on our side; it has been logged.", 500)

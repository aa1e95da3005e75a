"""One error shape for every API response: `{"error": {"code", "message", "details"}}`.

Apps raise `LykosError` subclasses with a stable `code`; DRF and Django exceptions are converted here so
that a client never has to parse two formats, and bad input never becomes a 500. Every code the platform
answers with is declared once, on a class below, so that the OpenAPI schema (`lykos.api.error_responses`)
can name the classes instead of retyping their codes.
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
    """Base of every refusal: `code` (stable, for clients to switch on) and `http_status` are class facts."""

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
    """Input that parsed but does not validate; DRF's ValidationError (an input serializer) answers with it."""

    code = "validation_error"
    http_status = 400
    default_message = "The request is not valid."


class MalformedRequest(LykosError):
    """Input that cannot even be read (unparsable JSON, a bad Content-Length, a suspicious request)."""

    code = "malformed_request"
    http_status = 400
    default_message = "The request was refused as malformed."


class NotAuthenticated(LykosError):
    code = "not_authenticated"
    http_status = 401
    default_message = "Authentication credentials were not provided."


class AuthenticationFailed(NotAuthenticated):
    """A credential was sent and refused, by an authentication class that names no code of its own."""

    code = "authentication_failed"
    default_message = "Incorrect authentication credentials."


class Forbidden(LykosError):
    code = "permission_denied"
    http_status = 403
    default_message = "You may not do this."


class NotFound(LykosError):
    code = "not_found"
    http_status = 404
    default_message = "Not found."


class MethodNotAllowed(LykosError):
    code = "method_not_allowed"
    http_status = 405
    default_message = "This method is not allowed here."


class NotAcceptable(LykosError):
    code = "not_acceptable"
    http_status = 406
    default_message = "No acceptable representation."


class Conflict(LykosError):
    code = "conflict"
    http_status = 409
    default_message = "The request conflicts with the current state."


class PayloadTooLarge(LykosError):
    code = "payload_too_large"
    http_status = 413
    default_message = "The request body is too large."


class UnsupportedMediaType(LykosError):
    code = "unsupported_media_type"
    http_status = 415
    default_message = "This media type is not supported."


class RuleRefused(LykosError):
    code = "rule_refused"
    http_status = 422
    default_message = "A business rule refused the request."


class RateLimited(LykosError):
    """A spent rate-limit window (lykos.ratelimit, or DRF's Throttled); `Retry-After` says when to come back."""

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


class InternalError(LykosError):
    """What a client sees of an unhandled exception (Django's handler500): nothing but the promise it was logged."""

    code = "internal_error"
    http_status = 500
    default_message = "Something went wrong on our side; it has been logged."


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _drf_code(exc: drf.APIException) -> tuple[str, str, dict[str, Any]]:
    """Stable codes for DRF's built-in exceptions."""
    if isinstance(exc, drf.ValidationError):
        return InvalidRequest.code, InvalidRequest.default_message, {"fields": exc.detail}
    if isinstance(exc, drf.ParseError):
        return MalformedRequest.code, str(exc.detail), {}
    if isinstance(exc, drf.UnsupportedMediaType):
        return UnsupportedMediaType.code, str(exc.detail), {}
    if isinstance(exc, drf.NotAuthenticated):
        return NotAuthenticated.code, str(exc.detail), {}
    if isinstance(exc, drf.AuthenticationFailed):
        # An authentication class may raise with a specific code (e.g. "token_expired").
        code = exc.get_codes()
        return code if isinstance(code, str) else AuthenticationFailed.code, str(exc.detail), {}
    if isinstance(exc, drf.PermissionDenied):
        return Forbidden.code, str(exc.detail), {}
    if isinstance(exc, drf.NotFound):
        return NotFound.code, str(exc.detail), {}
    if isinstance(exc, drf.MethodNotAllowed):
        return MethodNotAllowed.code, str(exc.detail), {}
    if isinstance(exc, drf.NotAcceptable):
        return NotAcceptable.code, str(exc.detail), {}
    if isinstance(exc, drf.Throttled):
        wait: float | None = exc.wait  # type: ignore[attr-defined]  # set by Throttled.__init__; the stub omits it
        return RateLimited.code, RateLimited.default_message, {"retry_after": int(wait or 1)}
    return LykosError.code, str(exc.detail), {}


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
        return api_exception_handler(PayloadTooLarge(), context)
    elif isinstance(exc, SuspiciousOperation):
        return api_exception_handler(MalformedRequest(), context)

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


def error_json_response(error: LykosError) -> JsonResponse:
    """The one shape outside DRF (plain Django views, middleware), headers such as Retry-After included."""
    response = json_error_response(error.code, error.message, error.http_status, error.details)
    for name, value in error.headers().items():
        response[name] = value
    return response


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_json_response(MalformedRequest())


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_json_response(Forbidden())


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_json_response(NotFound("No such resource."))


def handler500(request: HttpRequest) -> JsonResponse:
    return error_json_response(InternalError())

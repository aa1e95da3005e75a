"""Shared pieces for app APIs: the error schema in OpenAPI, generated from the exception classes.

An operation's documented error codes should be exactly what it can raise. Naming the classes (which carry
`code` and `http_status`) instead of typing their codes keeps the schema from drifting when a code changes or
a class moves to another status. A view names only its own refusals; what the classes DRF runs around it can
refuse with (authentication, permissions, throttles, parsing) is read from those classes by `AutoSchema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from drf_spectacular import openapi
from drf_spectacular.utils import Direction, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView

from lykos.errors import (
    Forbidden,
    InvalidRequest,
    LykosError,
    MalformedRequest,
    NotAcceptable,
    NotAuthenticated,
    RateLimited,
    UnsupportedMediaType,
)
from lykos.middleware import BodySizeLimitMiddleware
from lykos.ratelimit import RATE_LIMIT_ERRORS

ErrorClasses = tuple[type[LykosError], ...]

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text="Stable machine-readable code."),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)

#: What DRF can refuse on every operation before the view runs: an Accept header no renderer serves.
NEGOTIATION_ERRORS: ErrorClasses = (NotAcceptable,)
#: What an operation that reads a body can refuse before the view sees it: a body over the size limit, then one
#: that does not parse or whose content type no parser takes (DRF's parsers, converted by lykos.errors).
REQUEST_BODY_ERRORS: ErrorClasses = (*BodySizeLimitMiddleware.errors, MalformedRequest, UnsupportedMediaType)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ErrorResponse(OpenApiResponse):
    """The error response of one status, keeping the classes it documents so that more can be merged in."""

    def __init__(self, errors: Sequence[type[LykosError]]) -> None:
        self.errors: ErrorClasses = tuple(errors)
        codes = dict.fromkeys(error.code for error in self.errors)
        super().__init__(ErrorSerializer, description="Error codes: " + ", ".join(f"`{c}`" for c in codes))


def error_responses(
    *errors: type[LykosError], validation: bool = False, throttled: bool = False
) -> dict[int, ErrorResponse]:
    """OpenAPI error responses of one operation: its exception classes grouped by `http_status`.

    `error_responses(UsernameTaken, NotFound, validation=True, throttled=True)` documents 400 `validation_error`
    (the input serializer refused the body), 404, 409, and what the view's own `lykos.ratelimit.ratelimit_hit`
    calls refuse with (429 `rate_limited`, 503 when the limit cannot be checked). Each status lists its codes in
    the order given, once, as "Error codes: `a`, `b`".
    """
    classes = [*((InvalidRequest,) if validation else ()), *errors, *(RATE_LIMIT_ERRORS if throttled else ())]
    by_status: dict[int, list[type[LykosError]]] = {}
    for error in classes:
        by_status.setdefault(error.http_status, []).append(error)
    return {status: ErrorResponse(listed) for status, listed in sorted(by_status.items())}


@runtime_checkable
class DeclaresErrors(Protocol):
    """An authentication or throttle class that names what it refuses with."""

    errors: ErrorClasses


@runtime_checkable
class DeclaresViewErrors(Protocol):
    """A throttle whose refusals depend on the view (its scope)."""

    def errors_for(self, view: APIView) -> ErrorClasses: ...


def permission_errors(view: APIView) -> ErrorClasses:
    """What the view's permissions refuse with, as DRF's `permission_denied` raises it: `not_authenticated` while
    no authenticator accepted the request (403 `permission_denied` when the view has none), and 403 from any
    permission that can refuse an authenticated caller too."""
    permissions = view.get_permissions()
    if all(isinstance(permission, AllowAny) for permission in permissions):
        return ()
    errors: list[type[LykosError]] = [NotAuthenticated if view.get_authenticators() else Forbidden]
    # A tuple, not `AllowAny | IsAuthenticated`: DRF overloads `|` on permission classes to compose them.
    kinds_that_pass_when_authenticated = (AllowAny, IsAuthenticated)
    if any(not isinstance(permission, kinds_that_pass_when_authenticated) for permission in permissions):
        errors.append(Forbidden)
    return tuple(errors)


def throttle_errors(view: APIView) -> ErrorClasses:
    """What the view's throttles refuse with; a throttle that declares nothing refuses with DRF's 429."""
    errors: list[type[LykosError]] = []
    for throttle in view.get_throttles():
        if isinstance(throttle, DeclaresViewErrors):
            errors.extend(throttle.errors_for(view))
        else:
            errors.extend(throttle.errors if isinstance(throttle, DeclaresErrors) else (RateLimited,))
    return tuple(errors)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with each operation's error responses made from exception classes: the
    view's own (`error_responses` in its `extend_schema`), plus those of the classes DRF runs before it — the
    `errors` its authentication classes declare, its permissions' refusal, its throttles' `errors_for(view)`,
    the body errors when it takes a body, and content negotiation. `lykos` names no app: it reads the classes
    the view is configured with.
    """

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        for status, response in error_responses(*self.error_classes()).items():
            rendered: dict[str, Any] = self._get_response_for_code(  # type: ignore[no-untyped-call]  # untyped upstream
                response, str(status), direction=direction
            )
            bodies[str(status)] = rendered
        return dict(sorted(bodies.items()))

    def error_classes(self) -> list[type[LykosError]]:
        """Every exception class this operation can answer with (a status lists its codes in this order)."""
        view = self.view
        authentication = [
            error for auth in view.get_authenticators() if isinstance(auth, DeclaresErrors) for error in auth.errors
        ]
        declared: object = self.get_response_serializers()
        responses: list[object] = list(declared.values()) if isinstance(declared, dict) else []
        own = [error for response in responses if isinstance(response, ErrorResponse) for error in response.errors]
        body = REQUEST_BODY_ERRORS if self.takes_body() else ()
        return [
            *permission_errors(view),
            *authentication,
            *own,
            *throttle_errors(view),
            *body,
            *NEGOTIATION_ERRORS,
        ]

    def takes_body(self) -> bool:
        return self.method in _BODY_METHODS and self.get_request_serializer() is not None

"""Shared pieces for app APIs: the error schema in OpenAPI, generated from the exception classes.

An operation's documented error codes should be exactly what it can raise. Naming the classes (which carry
`code` and `http_status`) instead of typing their codes keeps the schema from drifting when a code changes or
a class moves to another status. A view names only its own refusals; what the classes DRF runs around it can
refuse with (authentication, permissions, throttles, parsing) is read from those classes by `AutoSchema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from django.http import QueryDict
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
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
        # A paginated list refuses a `limit`/`offset` out of range (lykos.pagination.Pagination).
        paging = (InvalidRequest,) if self.method == "GET" and getattr(view, "pagination_class", None) else ()
        return [
            *permission_errors(view),
            *authentication,
            *own,
            *paging,
            *throttle_errors(view),
            *body,
            *NEGOTIATION_ERRORS,
        ]

    def takes_body(self) -> bool:
        return self.method in _BODY_METHODS and self.get_request_serializer() is not None

    def _unwrap_list_serializer(self, serializer: Any, direction: Direction) -> dict[str, Any] | None:
        """A nested list's bounds, which DRF enforces (`allow_empty`, `min_length`, `max_length`) and
        drf-spectacular leaves out, as `minItems`/`maxItems`."""
        schema: dict[str, Any] | None = super()._unwrap_list_serializer(serializer, direction)
        if schema is None or schema.get("type") != "array":
            return schema
        least = max(getattr(serializer, "min_length", None) or 0, 0 if getattr(serializer, "allow_empty", True) else 1)
        if least:
            schema["minItems"] = least
        if (most := getattr(serializer, "max_length", None)) is not None:
            schema["maxItems"] = most
        return schema


def _json_type_refusal(field: serializers.Field[Any, Any, Any, Any], value: object) -> str | None:
    """What is wrong with a JSON value's type for this field, or None. DRF coerces on purpose (a CharField takes 5
    as "5", an IntegerField "5", a BooleanField "true", a UUIDField an int), which form and query data need; the
    schema of a JSON body says `string`, `integer`, `boolean`, and a body that breaks it must be refused."""
    if value is None:
        return None  # null is the field's own allow_null rule
    checks: list[tuple[type[serializers.Field[Any, Any, Any, Any]], type | tuple[type, ...], str]] = [
        (serializers.BooleanField, bool, "a boolean"),
        (serializers.IntegerField, int, "an integer"),
        (serializers.FloatField, (int, float), "a number"),
        (serializers.UUIDField, str, "a string"),
        (serializers.DateTimeField, str, "a string"),
        (serializers.ChoiceField, str, "a string"),
        (serializers.CharField, str, "a string"),
    ]
    for kind, allowed, name in checks:
        if isinstance(field, kind):
            wrong = not isinstance(value, allowed) or (kind is not serializers.BooleanField and isinstance(value, bool))
            return f"Must be {name}." if wrong else None
    return None


class JsonInput(serializers.Serializer[None]):
    """The base of every input serializer of a JSON body: each declared field's value must have the JSON type the
    schema states for it before DRF's own (coercing) validation runs. Query and form data (a QueryDict, where
    every value is a string) keep DRF's coercion."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # DRF trims strings by default, so "  " would pass a schema's `minLength: 1` and then be refused as blank.
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField):
                field.trim_whitespace = False
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, QueryDict):
            # DRF reads an empty form or query value as "not given"; the schema says a given value is not empty.
            names: list[str] = [str(name) for name in self.fields]
            blank = {name: ["May not be blank."] for name in names if name in data and data.get(name) == ""}
            if blank:
                raise serializers.ValidationError(blank)
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = {
                name: [refusal]
                for name, field in self.fields.items()
                if not field.read_only
                and field.source_attrs
                and name in data
                and (refusal := _json_type_refusal(field, data[name])) is not None
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class ExactlyOneOf(JsonInput):
    """An input serializer that takes exactly one of the fields named in `exactly_one_of` (a transaction's `calls`
    or `transfer`): refused as a validation error otherwise, and stated in the schema as a `oneOf` of the
    alternatives' `required`, so a generated client cannot send both or neither."""

    exactly_one_of: tuple[str, ...] = ()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in self.exactly_one_of if name in attrs]
        if len(given) != 1:
            names = " or ".join(f"`{name}`" for name in self.exactly_one_of)
            raise serializers.ValidationError({name: [f"Give exactly one of {names}."] for name in self.exactly_one_of})
        return attrs


class ExactlyOneOfExtension(OpenApiSerializerExtension):
    target_class = ExactlyOneOf
    match_subclasses = True

    def map_serializer(self, auto_schema: openapi.AutoSchema, direction: Direction) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)  # type: ignore[no-untyped-call]  # untyped upstream
        if direction == "request":
            schema["oneOf"] = [{"required": [name]} for name in self.target.exactly_one_of]
        return schema

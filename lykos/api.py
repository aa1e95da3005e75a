"""Shared pieces for app APIs: the error schema in OpenAPI, generated from the exception classes.

An operation's documented error codes should be exactly what it can raise. Naming the classes (which carry
`code` and `http_status`) instead of typing their codes keeps the schema from drifting when a code changes or
a class moves to another status.
"""

from __future__ import annotations

from typing import overload

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from lykos.errors import InvalidRequest, LykosError, RateLimited

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


@overload
def error_responses(
    *errors: type[LykosError], validation: bool = False, throttled: bool = False
) -> dict[int, OpenApiResponse]: ...


@overload
def error_responses(*errors: type[LykosError], **codes_by_status: list[str]) -> dict[int, OpenApiResponse]: ...


def error_responses(*errors: type[LykosError], **options: bool | list[str]) -> dict[int, OpenApiResponse]:
    """OpenAPI error responses of one operation: its exception classes grouped by `http_status`.

    `error_responses(UsernameTaken, NotFound, validation=True, throttled=True)` documents 400 `validation_error`
    (the input serializer refused the body), 404, 409 and 429 `rate_limited` (the view's throttle scope).
    Each status lists its codes in the order given, once, as "Error codes: `a`, `b`".

    Deprecated: the keyword form (`s400=["validation_error"], s401=[...]`, status as `s<number>`) retypes codes
    the classes already declare. It still works, beside classes too, until every view names its classes.
    """
    validation = options.pop("validation", False) is True
    throttled = options.pop("throttled", False) is True
    classes = [*((InvalidRequest,) if validation else ()), *errors, *((RateLimited,) if throttled else ())]
    codes: dict[int, list[str]] = {}
    for error in classes:
        codes.setdefault(error.http_status, []).append(error.code)
    for status, listed in options.items():
        if not isinstance(listed, list):
            raise TypeError(f"{status} must list error codes; the flags are `validation` and `throttled`.")
        codes.setdefault(int(status.removeprefix("s")), []).extend(listed)
    return {
        status: OpenApiResponse(
            ErrorSerializer, description="Error codes: " + ", ".join(f"`{c}`" for c in dict.fromkeys(listed))
        )
        for status, listed in sorted(codes.items())
    }

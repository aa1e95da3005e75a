"""Shared pieces for app APIs: the error schema in OpenAPI and small view helpers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

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


def error_responses(**codes_by_status: list[str]) -> dict[int, OpenApiResponse]:
    """`error_responses(s400=["validation_error"], s401=[...])` -> OpenAPI responses listing each code."""
    return {
        int(status[1:]): OpenApiResponse(
            ErrorSerializer, description="Error codes: " + ", ".join(f"`{c}`" for c in codes)
        )
        for status, codes in codes_by_status.items()
    }

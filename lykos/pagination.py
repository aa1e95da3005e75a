"""Paginated lists from plain APIViews, with the page envelope in the schema.

DRF paginates only GenericAPIView by itself, and drf-spectacular wraps a list response in the envelope
(`count`, `next`, `previous`, `results`) only when the view has a `pagination_class`. Views that built a
LimitOffsetPagination by hand answered the envelope but were documented as bare arrays, which breaks generated
clients. A view that mixes this in gets both from the one class attribute. The paginator is strict: a `limit` or
`offset` that is not an integer in range is a 400, as the schema says, not a silent default.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from lykos.errors import InvalidRequest

#: The largest offset a client may ask for: PostgreSQL's OFFSET is a bigint, and a page that far is never real.
MAX_OFFSET = 10**9
_INTEGER = re.compile(r"-?[0-9]{1,19}")


class Pagination(LimitOffsetPagination):
    """DRF's limit/offset pagination, strict: `limit` and `offset` are integers in the range the schema states, or
    the request is refused (400) instead of silently served a default page."""

    max_limit = 100

    def _strict(self, request: Request, name: str, low: int, high: int) -> None:
        for raw in request.query_params.getlist(name):
            if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
                message = f"{name} is an integer from {low} to {high}."
                raise InvalidRequest(message, details={"fields": {name: [message]}})

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        self._strict(request, self.limit_query_param, 1, self.max_limit)
        self._strict(request, self.offset_query_param, 0, MAX_OFFSET)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"] = {**parameter["schema"], "minimum": low, "maximum": high}
        return parameters


class PaginatedListMixin:
    """`paginated_response(request, queryset, SerializerClass)` answers one page in the envelope; drf-spectacular
    reads `pagination_class` to document the envelope and its query parameters."""

    pagination_class: type[BasePagination] | None = Pagination

    def paginated_response(
        self, request: Request, queryset: QuerySet[Any], serializer_class: type[BaseSerializer[Any]]
    ) -> Response:
        assert self.pagination_class is not None
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)  # type: ignore[arg-type]  # a mixin of APIView
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


__all__ = ["MAX_OFFSET", "PaginatedListMixin", "Pagination"]

"""Cross-cutting request handling: request ids, body-size limits, an access log without PII."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lykos.context import request_id_var
from lykos.errors import LykosError, MalformedRequest, PayloadTooLarge, error_json_response

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("lykos.access")


class RequestIdMiddleware:
    """Accepts a sane `X-Request-ID` from a proxy or mints one; echoes it and puts it in every log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # HttpRequest declares no slot for it
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            # The path only, never the query string: it may carry identifiers.
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuses an oversized body from its Content-Length before anything buffers it.

    DRF reads the request stream directly, which bypasses Django's DATA_UPLOAD_MAX_MEMORY_SIZE check.
    """

    #: What it refuses with; the schema documents them on every operation that takes a body (lykos.api).
    errors: tuple[type[LykosError], ...] = (PayloadTooLarge, MalformedRequest)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_json_response(MalformedRequest("Content-Length is not a number."))
        if length > settings.API_MAX_BODY_BYTES:
            return error_json_response(PayloadTooLarge(details={"max_bytes": settings.API_MAX_BODY_BYTES}))
        return self.get_response(request)

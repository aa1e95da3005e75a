"""Cross-cutting request handling: request ids, body-size limits, an access log without PII, and the one error
shape on API paths whatever answered."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lykos.context import request_id_var
from lykos.errors import (
    Forbidden,
    InternalError,
    LykosError,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    error_json_response,
)

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


#: Paths whose clients are programs: they get the JSON error shape, never an HTML page.
API_PATH_PREFIXES = ("/api/", "/rpc/", "/o/", "/.well-known/")
#: /o/authorize is a page a person sees: its own refusals (400) stay HTML; only Django's pages are replaced there.
_PAGE_PATH_PREFIXES = ("/o/",)
_JSON_ERRORS: dict[int, Callable[[], LykosError]] = {
    400: MalformedRequest,
    403: Forbidden,
    404: lambda: NotFound("No such resource."),
    500: InternalError,
}


class ApiErrorShapeMiddleware:
    """Turns an HTML error page on an API path into the JSON error shape of the same status.

    With DEBUG on (make run), Django answers an unknown path, an Http404 or SuspiciousOperation outside DRF, and an
    unhandled exception with its technical HTML pages instead of the handler400/404/500 views: a client would have
    to parse two formats. Django has already logged the exception (with its traceback) when this runs; only the
    body the client sees changes. Pages that render HTML on purpose answer 200 or redirect, so they are untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        status, path = response.status_code, request.path_info
        make_error = _JSON_ERRORS.get(status)
        if (
            make_error is not None
            and path.startswith(API_PATH_PREFIXES)
            and (status in (404, 500) or not path.startswith(_PAGE_PATH_PREFIXES))
            and response.get("Content-Type", "").startswith("text/html")
        ):
            replacement = error_json_response(make_error())
            for header in ("Retry-After", "WWW-Authenticate", "Allow"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

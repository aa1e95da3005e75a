"""A test-only middleware that writes down every error response the API gives during the test run.

Enabled first in lykos/settings/test.py, so that it also sees what other middleware answers (a body too large).
The run ends by checking each observation against the published schema (tests/support/error_schema.py): the
schema's error codes are generated from the exception classes a view names, and this is what tells whether a
view names all of them. No pytest here: the module is loaded by Django, in whatever process serves requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve

API_PREFIX = "/api/v1/"


@dataclass(frozen=True)
class Observed:
    """One error response: which view and method answered it, for which path, with which status and code."""

    view: type
    method: str
    path: str
    status: int
    code: str


#: Everything observed in this process; appended from the test client and from live-server threads alike.
OBSERVED: list[Observed] = []


def error_code(response: HttpResponse) -> str | None:
    """The `error.code` of a response in the one error shape, or None for anything else."""
    if response.streaming or not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _resolved(request: HttpRequest) -> ResolverMatch | None:
    # A middleware that answered early (413) leaves the request unresolved: resolve it here.
    match: ResolverMatch | None = getattr(request, "resolver_match", None)
    if match is not None:
        return match
    try:
        return resolve(request.path_info)
    except Resolver404:
        return None


class ErrorResponseRecorder:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400 and request.path_info.startswith(API_PREFIX):
            code = error_code(response)
            match = _resolved(request) if code else None
            view = getattr(match.func, "view_class", None) if match else None
            if code and view is not None:
                OBSERVED.append(
                    Observed(
                        view=view,
                        method=(request.method or "GET").upper(),
                        path=request.path_info,
                        status=response.status_code,
                        code=code,
                    )
                )
        return response

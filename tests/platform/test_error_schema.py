"""Every operation's documented error codes equal what its code can raise (acceptance 5 of issue 10).

Three checks. The static one derives each operation's codes from the exception classes the view names and from
what the classes DRF runs around it declare (authentication `errors`, the throttle's `errors_for`, the body-size
middleware), and compares them with the published schema, status by status. The runtime one is the end-of-run
check in tests/support/error_schema.py: every error response the suite provoked must be documented; the tests
below show that the recorder feeding it is installed and that the check catches an undocumented code. The last
one keeps the registry coherent: one code, one status.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

import apps
import lykos
from apps.identity.api.authentication import AccessTokenAuthentication
from apps.identity.api.views import LoginVerifyView, MeView
from lykos.api import ErrorResponse
from lykos.errors import (
    InvalidRequest,
    LykosError,
    MalformedRequest,
    NotAcceptable,
    NotAuthenticated,
    UnsupportedMediaType,
)
from lykos.middleware import BodySizeLimitMiddleware
from lykos.ratelimit import ScopedRateLimit
from tests.support.error_recorder import OBSERVED, Observed
from tests.support.error_schema import Documented, documented_errors, endpoints_by_view, undocumented

pytestmark = pytest.mark.django_db
Codes = dict[int, set[str]]


@pytest.fixture(scope="module")
def documented() -> Documented:
    return documented_errors(SchemaGenerator().get_schema(request=None, public=True))


def _add(codes: Codes, *errors: type[LykosError]) -> None:
    for error in errors:
        codes.setdefault(error.http_status, set()).add(error.code)


def _views() -> Iterator[tuple[str, str, APIView, Any]]:
    """(path, method, view instance, the responses its extend_schema declares) for every /api/v1/ operation."""
    generator = SchemaGenerator()
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if not path.startswith("/api/v1/"):
            continue
        view = generator.create_view(callback, method)
        view.schema.method = method  # what get_operation sets before it reads the overrides
        yield path, method.lower(), view, view.schema.get_response_serializers()


def expected_codes(view: APIView, declared: Any, *, takes_body: bool) -> Codes:
    """Derived from the classes, not from the schema: the view's own, then what DRF runs around it declares."""
    codes: Codes = {}
    for response in declared.values() if isinstance(declared, dict) else ():
        if isinstance(response, ErrorResponse):
            _add(codes, *response.errors)
    authenticators = view.get_authenticators()
    for authenticator in authenticators:
        _add(codes, *getattr(type(authenticator), "errors", ()))
    if authenticators and not all(isinstance(p, AllowAny) for p in view.get_permissions()):
        _add(codes, NotAuthenticated)
    for throttle in view.get_throttles():
        assert isinstance(throttle, ScopedRateLimit), "a throttle the schema cannot read"
        _add(codes, *throttle.errors_for(view))
    if takes_body:
        _add(codes, *BodySizeLimitMiddleware.errors, MalformedRequest, UnsupportedMediaType)
    if view.schema.method == "GET" and getattr(view, "pagination_class", None):  # type: ignore[union-attr]
        _add(codes, InvalidRequest)  # a limit/offset out of range (lykos.pagination)
    _add(codes, NotAcceptable)
    return codes


def test_every_operations_codes_are_derived_from_the_classes(documented: Documented) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    checked = 0
    for path, method, view, declared in _views():
        takes_body = "requestBody" in schema["paths"][path][method]
        assert documented[(path, method)] == expected_codes(view, declared, takes_body=takes_body), (
            method,
            path,
        )
        checked += 1
    assert checked == len(documented) >= 40


def test_authenticated_operations_document_every_refusal_of_the_token(documented: Documented) -> None:
    token_codes = {error.code for error in AccessTokenAuthentication.errors if error.http_status == 401}
    assert {"token_invalid", "token_expired", "session_revoked", "account_disabled"} <= token_codes
    authenticated = [(path, method) for path, method, view, _ in _views() if view.get_authenticators()]
    assert len(authenticated) >= 30
    for operation in authenticated:
        assert documented[operation][401] >= {"not_authenticated", *token_codes}, operation
        assert "dependency_unavailable" in documented[operation][503], operation


def test_a_public_operation_documents_its_own_401s_only(documented: Documented) -> None:
    assert documented[("/api/v1/auth/login/verify", "post")][401] == {
        "unknown_credential",
        "device_revoked",
        "device_flagged",
        "possible_cloned_authenticator",
    }
    assert 401 not in documented[("/api/v1/profiles/{username}", "get")]


def test_every_operation_is_rate_limited_and_a_body_can_be_too_large(documented: Documented) -> None:
    for operation, codes in documented.items():
        assert codes[429] == {"rate_limited"}, operation
    assert documented[("/api/v1/me", "patch")][413] == {"payload_too_large"}
    assert 413 not in documented[("/api/v1/me", "get")]


def test_the_recorder_sees_the_api_s_error_responses() -> None:
    """Without it the end-of-run check would pass on nothing."""
    before = len(OBSERVED)
    assert APIClient().get("/api/v1/me").status_code == 401
    assert (
        Observed(view=MeView, method="GET", path="/api/v1/me", status=401, code="not_authenticated")
        in (OBSERVED[before:])
    )


def test_the_end_of_run_check_reports_a_code_the_schema_does_not_list(documented: Documented) -> None:
    endpoints = endpoints_by_view()
    seen = [
        Observed(view=MeView, method="GET", path="/api/v1/me", status=401, code="not_authenticated"),
        Observed(view=LoginVerifyView, method="POST", path="/api/v1/auth/login/verify", status=409, code="surprise"),
        Observed(view=MeView, method="PUT", path="/api/v1/me", status=405, code="method_not_allowed"),
    ]
    problems = undocumented(seen, documented, endpoints)
    assert len(problems) == 1
    assert problems[0].startswith("POST /api/v1/auth/login/verify answered 409 `surprise`")


def _every_error_class() -> set[type[LykosError]]:
    """Every LykosError subclass declared in apps/ and lykos/ (each module imported, so none is missed)."""
    for package in (apps, lykos):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part in module.name.split(".") for part in ("migrations", "settings", "dev", "management")):
                importlib.import_module(module.name)
    found: set[type[LykosError]] = set()
    pending = [LykosError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass.__module__.startswith(("apps.", "lykos.")) and subclass not in found:
                found.add(subclass)
                pending.append(subclass)
    return found


def test_one_code_means_one_status() -> None:
    statuses: dict[str, set[int]] = {}
    for error in _every_error_class():
        statuses.setdefault(error.code, set()).add(error.http_status)
    assert len(statuses) >= 60
    assert {code: found for code, found in statuses.items() if len(found) > 1} == {}


def test_codes_are_class_facts() -> None:
    """A code set on an instance (as CeremonyError(code, message) once did) reaches clients without ever being in
    the schema."""
    for error in _every_error_class():
        assert isinstance(error.code, str) and error.code, error
        assert "self.code" not in inspect.getsource(error), error

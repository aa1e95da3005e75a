"""The published schema's error codes, read back, and the end-of-run check of what the API actually answered.

`documented_errors` parses the schema's "Error codes: `a`, `b`" descriptions. At the end of every run (the whole
suite or any subset), `pytest_sessionfinish` compares each error response tests/support/error_recorder.py saw
with the documented codes of its operation and fails the run for any the schema does not list. Requests that
reach no documented operation are ignored: unknown paths (404), methods a path does not have (405), and the
test-only views of tests/testapp.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.error_recorder import API_PREFIX, OBSERVED, Observed

#: (OpenAPI path, lower-case method) -> status -> the codes documented for it.
Documented = dict[tuple[str, str], dict[int, set[str]]]
_CODE = re.compile(r"`([^`]+)`")
_violations = pytest.StashKey[list[str]]()
_checked = pytest.StashKey[int]()


def api_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return schema


def documented_errors(schema: dict[str, Any]) -> Documented:
    documented: Documented = {}
    for path, item in schema["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in item.items():
            documented[(path, method)] = {
                int(status): set(_CODE.findall(response.get("description", "")))
                for status, response in operation["responses"].items()
                if status.startswith(("4", "5"))
            }
    return documented


@dataclass(frozen=True)
class Endpoint:
    path: str
    regex: re.Pattern[str]


def endpoints_by_view() -> dict[tuple[type, str], list[Endpoint]]:
    """Which documented path(s) each (view class, method) serves, as the schema generator enumerates them."""
    from drf_spectacular.generators import EndpointEnumerator

    found: dict[tuple[type, str], list[Endpoint]] = {}
    for path, path_regex, method, callback in EndpointEnumerator().get_api_endpoints():
        found.setdefault((callback.cls, method.upper()), []).append(Endpoint(path, re.compile(path_regex)))
    return found


def _operation_path(observed: Observed, endpoints: dict[tuple[type, str], list[Endpoint]]) -> str | None:
    candidates = endpoints.get((observed.view, observed.method), [])
    if len(candidates) == 1:
        return candidates[0].path
    for endpoint in candidates:  # one view mounted at several paths: the one whose pattern matches
        if endpoint.regex.match(observed.path) or endpoint.regex.match(observed.path.lstrip("/")):
            return endpoint.path
    return None


def undocumented(
    observed: Iterable[Observed], documented: Documented, endpoints: dict[tuple[type, str], list[Endpoint]]
) -> list[str]:
    """One line per distinct (operation, status, code) that was answered but is not in the schema."""
    problems: dict[str, None] = {}
    for seen in observed:
        path = _operation_path(seen, endpoints)
        if path is None:
            continue  # not a documented operation: a test-only view, or a method the path does not have
        codes = documented.get((path, seen.method.lower()), {}).get(seen.status, set())
        if seen.code not in codes:
            listed = ", ".join(sorted(codes)) or "nothing"
            problems[
                f"{seen.method} {path} answered {seen.status} `{seen.code}` (e.g. {seen.path}); "
                f"the schema lists {listed} for {seen.status}"
            ] = None
    return list(problems)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not OBSERVED:
        return
    problems = undocumented(list(OBSERVED), documented_errors(api_schema()), endpoints_by_view())
    session.config.stash[_violations] = problems
    session.config.stash[_checked] = len(OBSERVED)
    if problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    problems = config.stash.get(_violations, [])
    if not problems:
        if checked := config.stash.get(_checked, 0):
            terminalreporter.write_line(f"error schema: {checked} error responses checked, every code documented")
        return
    terminalreporter.section("error responses the schema does not document", sep="=", red=True, bold=True)
    for line in problems:
        terminalreporter.line(line, red=True)
    terminalreporter.line(
        "Name the exception class in the view's error_responses(...) (or the declaring class's `errors`).", red=True
    )

"""Acceptance 4 (issue 17): the published schema is what the API does. Schemathesis generates requests from
/api/schema/ and sends them to the live test server with every check it has (server errors, status codes, content
types, response headers and bodies against the schema, schema-valid data accepted, schema-invalid data refused,
auth that is declared and enforced, ...), once without credentials and once as a person logged in with the suite's
software passkey (tests/support/schemathesis_hooks.py renews the tokens). Any failure fails the test.

`SCHEMATHESIS_MAX_EXAMPLES` (per operation and run; default in SCHEMATHESIS_DEFAULT_EXAMPLES) sizes the run and
`SCHEMATHESIS_MAX_TIME` bounds each run; the test asserts that at least `SCHEMATHESIS_MIN_CASES` cases (2,000 by
default) were generated in total, so a shrinking schema cannot make the check pass by testing less.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_django.fixtures import Settings

from tests.support.servers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS_DEFAULT_EXAMPLES = 30
CONFIG = ROOT / "tests" / "support" / "schemathesis.toml"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def run_schemathesis(origin: str, report: Path, *, authenticated: bool) -> tuple[int, str, dict[str, Any]]:
    """One `schemathesis run` against the live server: its exit code, its output, and its JSON report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS_HOOKS")}
    env["LYKOS_SCHEMATHESIS_ORIGIN"] = origin
    env["PYTHONPATH"] = str(ROOT)
    env["SCHEMATHESIS_HOOKS"] = "tests.support.schemathesis_hooks"
    env["LYKOS_SCHEMATHESIS_AUTH"] = "1" if authenticated else "0"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{origin}/api/schema/",
        "--checks",
        "all",
        "--max-examples",
        str(_env_int("SCHEMATHESIS_MAX_EXAMPLES", SCHEMATHESIS_DEFAULT_EXAMPLES)),
        "--max-time",
        str(_env_int("SCHEMATHESIS_MAX_TIME", 120)),
        "--seed",
        str(_env_int("SCHEMATHESIS_SEED", 17)),
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    summary = json.loads(report.read_text()) if report.exists() else {}
    return result.returncode, result.stdout[-30000:] + result.stderr[-5000:], summary


@pytest.fixture
def fuzz_origin(live_server, settings: Settings, devchain) -> str:  # type: ignore[no-untyped-def]
    """The live server as passkeys accept it, with the dev chain registered and rate limits out of the way (the
    limits are documented and tested on their own; here they would only turn cases into 429s)."""
    from apps.chain.dev.registry import register

    register(devchain, name="Dev")
    origin = live_server.url.replace("127.0.0.1", "localhost")
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [origin]
    settings.RATE_LIMITS = {scope: "1000000/m" for scope in settings.RATE_LIMITS}
    # drf-spectacular loads its extensions lazily on the first schema request; build it once before the workers
    # of schemathesis ask for it concurrently.
    assert requests.get(f"{origin}/api/schema/?format=json", timeout=120).status_code == 200
    return origin


def cases_of(report: dict[str, Any]) -> int:
    return int(report.get("test_cases", {}).get("generated", 0))


def test_schemathesis_finds_no_failure_anonymous_or_authenticated(fuzz_origin: str, tmp_path: Path) -> None:
    runs = {
        name: run_schemathesis(fuzz_origin, tmp_path / f"{name}.json", authenticated=name == "authenticated")
        for name in ("anonymous", "authenticated")
    }
    failed = {name: output for name, (code, output, _) in runs.items() if code != 0}
    assert not failed, "\n\n".join(f"schemathesis ({name}) failed:\n{output}" for name, output in failed.items())
    total = sum(cases_of(report) for _, _, report in runs.values())
    assert total >= _env_int("SCHEMATHESIS_MIN_CASES", 2000), {
        name: run[2].get("summary") for name, run in runs.items()
    }

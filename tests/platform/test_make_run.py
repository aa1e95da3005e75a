"""`make run` itself, on its embedded defaults, as a person and thirty busy clients use it.

One run (it takes a while: migrations on a fresh SQLite file, then the chain stack): `make run PORT=<free port>`
signs a user up (every origin setting follows PORT), answers unknown API paths in the JSON error shape with DEBUG
on, holds thirty parallel writers for thirty seconds without a single 5xx, and after two SIGTERMs in a row leaves
no process behind and `git status` as it was. Only the SQLite file and the secrets file are moved to a temporary
directory (so the test touches no developer's data), and make is told not to re-run the install steps (`-o`),
which `make test` has just run and which must not run concurrently with other checkouts sharing node_modules.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from tests.support.authenticator import SoftAuthenticator
from tests.support.servers import ROOT, free_port, wait_for

WRITERS = 30
SOAK_SECONDS = 30.0


def make_run_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a developer who typed `make run`: nothing of the test run's own settings."""
    dropped = ("DJANGO_", "DATABASE_", "REDIS_", "VAULT_", "CELERY_", "SECRETS_", "WEBAUTHN_", "CORS_", "PUBLIC_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped) and k not in {"PORT", "MAKEFLAGS"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", LOCAL_SECRETS_FILE=str(tmp_path / "secrets.json"))
    return env


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def tracebacks(output: Path) -> str:
    """The server's tracebacks, for a failure message (the log lives in a temporary directory)."""
    text = output.read_text(errors="replace")
    return "\n".join(part[:2000] for part in text.split("Traceback (most recent call last)")[1:4])


def descendants(root: int) -> set[int]:
    """Every process below `root`, read from /proc (anvil and alto run in sessions of their own)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class FromAddress(HTTPAdapter):
    """Connections from one loopback address: thirty clients are thirty addresses, as they would be in reality,
    so the per-IP rate limits see thirty clients rather than one."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, source_address=(self.source, 0), **kwargs)


class Writer:
    """A client with its own passkey that keeps writing: profile changes, and a fresh login every few of them."""

    def __init__(self, number: int, base: str, origin: str) -> None:
        self.number, self.base = number, base
        self.http = requests.Session()
        self.http.mount("http://", FromAddress(f"127.0.0.{number + 10}"))
        self.authenticator = SoftAuthenticator(origin=origin)
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.token = ""

    def call(self, method: str, path: str, body: dict[str, Any]) -> requests.Response | None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self.http.request(method, self.base + path, json=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            self.failures.append(f"{method} {path}: {exc!r}")
            return None
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.failures.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def ceremony(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        begun = self.call("post", f"/api/v1/auth/{kind}/options", body)
        if begun is None or begun.status_code != 200:
            return None
        options = begun.json()
        make = self.authenticator.create if kind == "register" else self.authenticator.get
        answer = {"ceremony_id": options["ceremony_id"], "credential": make(options["publicKey"])}
        done = self.call(
            "post", f"/api/v1/auth/{kind}/verify", answer | ({"device_name": "Phone"} if kind == "register" else {})
        )
        if done is None or done.status_code not in (200, 201):
            return None
        tokens: dict[str, Any] = done.json()
        self.token = tokens["access_token"]
        return tokens

    def sign_up(self) -> None:
        self.ceremony("register", {"username": f"writer{self.number}"})

    def run(self, deadline: float) -> None:
        if not self.token:
            return
        written = 0
        while time.monotonic() < deadline:
            written += 1
            self.call("patch", "/api/v1/me", {"display_name": f"Writer {self.number} #{written}"})
            if written % 5 == 0:
                self.ceremony("login", {"username": f"writer{self.number}"})


def test_make_run_on_another_port_signs_up_holds_thirty_writers_and_stops_clean(tmp_path: Path) -> None:
    before = git_status()
    port = free_port()
    base, origin = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    output = tmp_path / "make-run.log"
    with output.open("wb") as out:
        make = subprocess.Popen(
            ["make", "-o", ".venv/.stamp-runtime", "-o", "node_modules/.stamp", "run", f"PORT={port}"],
            cwd=ROOT,
            env=make_run_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as in a terminal: both signals reach make and Django
        )
    spawned: set[int] = set()
    try:
        wait_for(lambda: requests.get(f"{base}/readyz", timeout=5).ok, timeout=300, what="make run")
        spawned = descendants(make.pid)
        assert len(spawned) >= 3, "make -> manage.py devchain -> anvil and alto"

        # A person on the new port: the passkey's origin is http://localhost:<port>, which the settings now expect.
        person = Writer(0, base, origin)
        tokens = person.ceremony("register", {"username": "porty"})
        assert tokens is not None, person.failures or person.statuses
        me = person.call("get", "/api/v1/me", {})
        assert me is not None and me.json()["username"] == "porty"
        # DEBUG is on under make run, and an unknown API path still answers in the one error shape.
        unknown = requests.get(f"{base}/api/v1/no-such-thing", timeout=10)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"

        # The writers' accounts first, five at a time: sign-up keeps the write lock while it asks the chain for the
        # account's address, so thirty at once on a loaded two-core machine can queue past the busy timeout.
        writers = [Writer(n, base, origin) for n in range(1, WRITERS + 1)]
        with ThreadPoolExecutor(max_workers=5) as pool:
            list(pool.map(Writer.sign_up, writers))
        deadline = time.monotonic() + SOAK_SECONDS
        threads = [threading.Thread(target=w.run, args=(deadline,)) for w in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SOAK_SECONDS + 120)
        statuses = sum((w.statuses for w in writers), Counter())
        failures = [failure for w in writers for failure in w.failures]
        assert failures == [], (failures[:10], tracebacks(output))
        assert not any(status >= 500 for status in statuses), statuses
        # Real concurrent writing happened: every writer signed up and changed its profile, and logins got through.
        assert statuses[201] == WRITERS and statuses[200] >= 5 * WRITERS, statuses
    finally:
        # Twice, to the whole group, in quick succession: the second lands while the first one's cleanup runs.
        for _ in range(2):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(make.pid, signal.SIGTERM)
            time.sleep(0.3)
        try:
            make.wait(timeout=60)
        finally:
            wait_for(lambda: not [pid for pid in spawned if alive(pid)], timeout=60, what="every process to stop")
    log = output.read_text(errors="replace")
    assert "database is locked" not in log, log[-3000:]
    assert [pid for pid in spawned if alive(pid)] == []
    assert git_status() == before


def test_installing_node_tools_never_rewrites_the_lockfile(tmp_path: Path) -> None:
    """The exact npm command of `make install`, on a project whose lockfile is out of step with what npm would
    write (a plain `npm install` rewrites it then): the lockfile stays byte for byte as committed."""
    recipe = subprocess.run(
        ["make", "-n", "-B", "node_modules/.stamp"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    npm = next(line for line in recipe.splitlines() if line.startswith("npm "))
    # A project with one local dependency: no registry is needed, and npm resolves it the same way everywhere.
    dependency = tmp_path / "dep"
    dependency.mkdir()
    (dependency / "package.json").write_text(json.dumps({"name": "dep", "version": "1.0.0"}))
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text(
        json.dumps({"name": "p", "version": "1.0.0", "dependencies": {"dep": "file:../dep"}})
    )
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"], cwd=project, check=True, capture_output=True, timeout=120
    )
    lock = json.loads((project / "package-lock.json").read_text())
    del lock["packages"]["node_modules/dep"]  # what npm would add back
    stale = json.dumps(lock, indent=2) + "\n"
    (project / "package-lock.json").write_text(stale)

    subprocess.run(shlex.split(npm), cwd=project, check=True, capture_output=True, timeout=120)
    assert (project / "package-lock.json").read_text() == stale
    # The control: without the Makefile's flags npm does rewrite it, so the check above can fail.
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"], cwd=project, check=True, capture_output=True, timeout=120
    )
    assert (project / "package-lock.json").read_text() != stale

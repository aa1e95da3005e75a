"""The embedded defaults of `make run` (SQLite, local memory cache, local secrets file) serve /readyz."""

import subprocess
import sys
from pathlib import Path

import requests

from tests.support.dev_server import dev_env
from tests.support.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_dev_settings_serve_readyz_on_embedded_defaults(tmp_path: Path) -> None:
    env = dev_env(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok, timeout=60, what="runserver")
        response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert response.status_code == 200, response.text
        checks = response.json()["checks"]
        assert set(checks) >= {"database", "cache", "secrets"}
        # The local provider generated its keys on first use, into the (git-ignored) file.
        assert (tmp_path / "dev-secrets.json").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)

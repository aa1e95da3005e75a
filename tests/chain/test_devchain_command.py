"""`make run`'s chain: `manage.py devchain --serve` brings up anvil + alto + contracts, /readyz shows them healthy,
and stopping it, even with two signals in a row, leaves no process behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.dev_server import dev_env
from tests.support.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> set[int]:
    """Direct children, read from /proc (anvil and alto run in their own sessions, but their parent is us)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone too


def test_devchain_serve_is_ready_and_leaves_nothing_behind(tmp_path: Path) -> None:
    env = dev_env(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "devchain", "--serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok, timeout=90, what="devchain --serve"
        )
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert checks["chain_rpc"]["ok"] and checks["bundler"]["ok"]
        spawned = children_of(server.pid)
        assert len(spawned) >= 2, "anvil and alto should run under the command"
    finally:
        # A second signal right behind the first (Ctrl-C pressed twice, a supervisor repeating SIGTERM) lands while
        # the first one's cleanup runs; it must not cut that cleanup short.
        server.send_signal(signal.SIGINT)
        time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode is not None
    assert [pid for pid in spawned if alive(pid)] == []

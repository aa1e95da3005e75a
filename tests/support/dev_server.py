"""Running the project the way `make run` does: dev settings, a throw-away SQLite file and local secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def dev_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh `make run`, minus anything the test process itself points elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "VAULT_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="lykos.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        LOCAL_SECRETS_FILE=str(tmp_path / "dev-secrets.json"),
        SECRETS_BACKEND="local",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    return env

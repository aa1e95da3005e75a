"""Production refuses to start without its secrets, and passes Django's deployment checks with them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k" * 20 + "Zq8!xP2@rL5#vN7$wB3%" + "m" * 20,
    "DJANGO_ALLOWED_HOSTS": "wallet.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/12",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
    "VAULT_ADDR": "http://127.0.0.1:8200",
    "VAULT_TOKEN": "token",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "lykos.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secrets_refuses_to_start_naming_what_is_missing() -> None:
    result = manage("check", env={})
    assert result.returncode != 0
    for name in PRODUCTION_ENV:
        assert name in result.stderr


def test_production_names_only_the_missing_variable() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "VAULT_TOKEN"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "missing environment variable(s): VAULT_TOKEN" in result.stderr


def test_production_refuses_the_local_secrets_provider() -> None:
    result = manage("check", env={**PRODUCTION_ENV, "SECRETS_BACKEND": "local"})
    assert result.returncode != 0
    assert "SECRETS_BACKEND" in result.stderr


def test_check_deploy_is_clean_with_production_env() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout

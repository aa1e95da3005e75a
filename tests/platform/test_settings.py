"""Production refuses to start without its secrets or with a development default that leaks codes or skips a scan
(unless an opt-out naming the risk says so), and passes Django's deployment checks with them."""

import json
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
#: What production needs beyond its secrets: a real SMS provider and clamd (no connection is made at start-up).
SAFEGUARDS_ENV = {
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms.example.com/send",
    "SMS_HTTP_TOKEN": "sms-token",
    "CLAMAV_ADDRESS": "127.0.0.1:3310",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k not in SAFEGUARDS_ENV and not k.startswith(("DJANGO_", "ALLOW_"))
    }
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
    result = manage("check", env={**PRODUCTION_ENV, **SAFEGUARDS_ENV, "SECRETS_BACKEND": "local"})
    assert result.returncode != 0
    assert "SECRETS_BACKEND" in result.stderr


def test_check_deploy_is_clean_with_production_env() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, **SAFEGUARDS_ENV})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_console_sms_and_unscanned_uploads_naming_each_risk_and_its_opt_out() -> None:
    # SMS_BACKEND unset means console, the development default, which prints one-time codes into the logs.
    for sms in ({}, {"SMS_BACKEND": "console"}):
        result = manage("check", env={**PRODUCTION_ENV, **sms})
        assert result.returncode != 0
        assert "SMS_BACKEND='console'" in result.stderr and "ALLOW_SMS_CODES_IN_LOGS=true" in result.stderr
        assert "CLAMAV_ADDRESS is empty" in result.stderr and "ALLOW_UNSCANNED_UPLOADS=true" in result.stderr
    only_clamav = manage("check", env={**PRODUCTION_ENV, **SAFEGUARDS_ENV, "CLAMAV_ADDRESS": ""})
    assert only_clamav.returncode != 0
    assert "CLAMAV_ADDRESS is empty" in only_clamav.stderr and "SMS_BACKEND" not in only_clamav.stderr


def test_production_starts_with_console_sms_and_no_scanner_when_the_opt_outs_name_the_risk() -> None:
    env = {**PRODUCTION_ENV, "ALLOW_SMS_CODES_IN_LOGS": "true", "ALLOW_UNSCANNED_UPLOADS": "true"}
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr
    assert manage("check", env={**env, "ALLOW_UNSCANNED_UPLOADS": "false"}).returncode != 0


def dev_settings(*names: str, env: dict[str, str]) -> dict[str, object]:
    """Read settings the way `make run` loads them (dev settings, no DATABASE_URL or origin variables set)."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "WEBAUTHN_", "CORS_", "PUBLIC_BASE_URL", "PORT"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "lykos.settings.dev", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_port_drives_every_origin_setting_of_make_run() -> None:
    names = ("WEBAUTHN_ORIGINS", "PUBLIC_BASE_URL", "CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS")
    assert dev_settings(*names, env={"PORT": "8123"}) == {
        "WEBAUTHN_ORIGINS": ["http://localhost:8123"],
        "PUBLIC_BASE_URL": "http://localhost:8123",
        "CORS_ALLOWED_ORIGINS": ["http://localhost:8123"],
        "CSRF_TRUSTED_ORIGINS": ["http://localhost:8123"],
    }
    assert dev_settings("PUBLIC_BASE_URL", env={})["PUBLIC_BASE_URL"] == "http://localhost:8000"


def test_make_runs_sqlite_takes_the_write_lock_up_front_and_waits_for_it() -> None:
    options = dev_settings("DATABASES", env={})["DATABASES"]["default"]["OPTIONS"]  # type: ignore[index]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]

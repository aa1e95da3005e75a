"""A production-settings gunicorn, started the way the Dockerfile starts it: no API key in any log line.

The key reaches /rpc/paymaster in the X-Api-Key header, and a client that still puts it in the URL is refused; either
way neither gunicorn's access log (gunicorn.conf.py drops query strings) nor the application's JSON log holds it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from apps.paymaster.models import SponsorshipPolicy
from apps.paymaster.services import api_key_create
from tests.support.servers import ROOT, VENV_BIN, VaultServer, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

METRICS_TOKEN = "scraper-token-" + "q" * 20


def production_env(vault_server: VaultServer) -> dict[str, str]:
    """Production settings over the test database, the test Redis index and the session's OpenBao."""
    db = connection.settings_dict
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "VAULT_", "SMS_", "CLAMAV_", "ALLOW_"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "lykos.settings.production",
        "DJANGO_SECRET_KEY": "p" * 20 + "Zq8!xP2@rL5#vN7$wB3%" + "r" * 20,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAULT_ADDR": vault_server.addr,
        "VAULT_TOKEN": vault_server.token,
        "SECURE_SSL_REDIRECT": "false",  # no TLS proxy in front of this test server
        "SMS_BACKEND": "http",
        "SMS_HTTP_URL": "https://sms.example.com/send",
        "SMS_HTTP_TOKEN": "sms-token",
        "CLAMAV_ADDRESS": "127.0.0.1:1",
        "METRICS_TOKEN": METRICS_TOKEN,
    }


def test_a_production_gunicorn_logs_no_api_key(tmp_path: Path, vault_server: VaultServer) -> None:
    policy = SponsorshipPolicy.objects.create(name="Logs", global_budget_wei=10**18)
    _, key = api_key_create(name="Logs", policies=[policy])
    port = free_port()
    access_log, app_log = tmp_path / "access.log", tmp_path / "app.log"
    with app_log.open("wb") as out:
        server = subprocess.Popen(
            # The Dockerfile's command line: gunicorn reads ./gunicorn.conf.py from the checkout.
            [
                *(str(VENV_BIN / "gunicorn"), "lykos.wsgi:application", "--bind", f"127.0.0.1:{port}"),
                *("--workers", "1", "--access-logfile", str(access_log)),
            ],
            cwd=ROOT,
            env=production_env(vault_server),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    call = {"jsonrpc": "2.0", "id": 1, "method": "pm_nope", "params": []}
    try:
        wait_for(lambda: requests.get(f"{base}/healthz", timeout=1).ok, timeout=60, what="gunicorn")
        in_header = requests.post(f"{base}/rpc/paymaster", json=call, headers={"X-Api-Key": key}, timeout=10)
        assert in_header.status_code == 200 and in_header.json()["error"]["code"] == -32601  # the key was accepted
        in_query = requests.post(f"{base}/rpc/paymaster?apikey={key}", json=call, timeout=10)
        assert in_query.status_code == 401 and "X-Api-Key header" in in_query.json()["error"]["message"]
        unparsable = requests.post(f"{base}/rpc/paymaster?apikey={key}&x=1", data=b"{", timeout=10)
        assert unparsable.status_code == 200 and unparsable.json()["error"]["code"] == -32700
        # /metrics: the token or nothing.
        assert requests.get(f"{base}/metrics", timeout=10).status_code == 401
        scraped = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
        assert scraped.status_code == 200 and "django_http_requests" in scraped.text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    access, application = access_log.read_text(), app_log.read_text()
    assert access.count('"POST /rpc/paymaster HTTP/1.1"') == 3, access  # the access log is really written
    assert in_header.headers["X-Request-ID"] in access
    for log in (access, application):
        assert key not in log
        assert "apikey" not in log

"""/healthz says the process is alive; /readyz checks each dependency and names the one that is down."""

import pytest
from django.db import connection
from django.test import Client

from lykos.settings.base import redis_cache

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.testapp.urls")]

DEAD_REDIS = redis_cache("redis://127.0.0.1:1/0", key_prefix="dead")


def test_tests_run_on_postgresql() -> None:
    assert connection.vendor == "postgresql"


def test_healthz(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_redis_and_vault(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert {"database", "redis", "secrets"} <= set(checks)
    assert all(check["ok"] for check in checks.values())


def test_readyz_names_redis_when_it_is_down_and_the_rest_keeps_answering(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CACHES = {"default": DEAD_REDIS}
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["error"]["code"] == "dependency_unavailable"
    assert body["checks"]["database"]["ok"] and body["checks"]["secrets"]["ok"]

    # What does not need Redis keeps answering.
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/schema/").status_code == 200
    assert client.post("/api/v1/test/echo", data={"amount": 2}, content_type="application/json").json() == {"amount": 2}


def test_auth_endpoints_refuse_with_503_when_their_rate_limit_cannot_be_checked(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CACHES = {"default": DEAD_REDIS}
    response = client.post("/api/v1/test/auth-limited", content_type="application/json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "dependency_unavailable"


def test_readyz_names_the_secrets_provider_when_vault_is_down(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VAULT_ADDR = "http://127.0.0.1:1"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["secrets"]

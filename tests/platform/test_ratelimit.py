"""Rate limits are counted in Redis and answered with 429, Retry-After, and the error shape."""

import pytest
from django.test import Client
from django_redis import get_redis_connection

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.testapp.urls")]


def test_auth_scope_limit_returns_429_with_retry_after(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "3/m"}
    statuses = [client.post("/api/v1/test/auth-limited", content_type="application/json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.post("/api/v1/test/auth-limited", content_type="application/json")
    body = response.json()["error"]
    assert body["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["details"]["retry_after"] == int(response["Retry-After"])


def test_counters_live_in_redis_under_hashed_keys(client: Client) -> None:
    client.post("/api/v1/test/auth-limited", content_type="application/json", REMOTE_ADDR="203.0.113.9")
    raw = get_redis_connection("default")
    keys = [key.decode() for key in raw.keys("*rl:auth:*")]
    assert keys, "the counter was not written to Redis"
    assert not any("203.0.113.9" in key for key in keys)


def test_limits_are_per_client(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1/m"}
    assert client.post("/api/v1/test/auth-limited", REMOTE_ADDR="198.51.100.1").status_code == 200
    assert client.post("/api/v1/test/auth-limited", REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.post("/api/v1/test/auth-limited", REMOTE_ADDR="198.51.100.2").status_code == 200

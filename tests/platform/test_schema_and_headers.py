"""OpenAPI validates cleanly; pages carry security headers; logs are JSON with the request id and no PII."""

import json
import logging

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_schema_validates_without_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "openapi:" in out.read_text()


def test_swagger_ui_is_served_without_a_cdn(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


def test_pages_carry_security_headers(client: Client) -> None:
    response = client.get("/admin/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_logs_are_json_with_request_id_and_redacted_pii(client: Client) -> None:
    from lykos.logging import JsonFormatter, RedactPiiFilter, RequestIdFilter

    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactPiiFilter())
    logger = logging.getLogger("lykos.access")
    logger.addHandler(handler)
    try:
        client.get("/healthz", HTTP_X_REQUEST_ID="req-42")
        logging.getLogger("lykos.access").info("lookup", extra={"email": "alice@example.com"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(JsonFormatter().format(record)) for record in records]
    assert lines[0]["request_id"] == "req-42" and lines[0]["path"] == "/healthz"
    assert "alice@example.com" not in json.dumps(lines)
    assert lines[1]["email"] == "[redacted]"


def test_metrics_endpoint_exports_prometheus_text_to_the_token_holder_only(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    client.get("/healthz")
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404  # no token configured: not served at all
    settings.METRICS_TOKEN = "scrape-me"
    for refused in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2NyYXBlLW1l"}):
        response = client.get("/metrics", headers=refused)
        assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert response.json()["error"]["code"] == "metrics_token_required"
    body = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).content.decode()
    assert "django_http_requests_total_by_method_total" in body

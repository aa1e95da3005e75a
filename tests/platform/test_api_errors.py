"""Every failure leaves in one shape with a stable code and the right status; bad input is never a 500."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.testapp.urls")]


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_malformed_json_is_400_malformed_request(client: Client) -> None:
    response = client.post("/api/v1/test/echo", data='{"amount": 1', content_type="application/json")
    assert_error(response, 400, "malformed_request")


def test_wrong_content_type_is_415(client: Client) -> None:
    response = client.post("/api/v1/test/echo", data="amount=1", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_oversized_body_is_413_before_parsing(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_MAX_BODY_BYTES = 1024
    response = client.post(
        "/api/v1/test/echo", data='{"amount": "' + "9" * 2000 + '"}', content_type="application/json"
    )
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"] == {"max_bytes": 1024}


def test_invalid_field_is_400_with_field_details(client: Client) -> None:
    response = client.post("/api/v1/test/echo", data={"amount": -5}, content_type="application/json")
    error = assert_error(response, 400, "validation_error")
    assert "amount" in error["details"]["fields"]


def test_unknown_route_is_404(client: Client) -> None:
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/no-such-page"), 404, "not_found")


def test_unauthenticated_call_is_401_with_challenge(client: Client) -> None:
    response = client.get("/api/v1/test/private")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_method_is_405(client: Client) -> None:
    assert_error(client.get("/api/v1/test/echo"), 405, "method_not_allowed")


def test_unhandled_error_is_500_in_the_same_shape() -> None:
    client = Client(raise_request_exception=False)
    assert_error(client.get("/api/v1/test/crash"), 500, "internal_error")


def test_every_response_carries_a_request_id(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    minted = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert minted != "bad id with spaces" and len(minted) == 32


def test_api_paths_answer_the_json_shape_with_debug_on_too(settings) -> None:  # type: ignore[no-untyped-def]
    """make run has DEBUG on, where Django answers with its HTML debug pages instead of the handlers."""
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    for path in ("/api/v1/no-such-thing", "/rpc/no-such-thing", "/.well-known/no-such-thing", "/o/no-such-thing"):
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.get("/api/v1/test/crash"), 500, "internal_error")
    # Pages a person sees keep Django's debug page, which is what a developer wants there.
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")

"""Every API operation is documented with its success schema and the error codes it can answer."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):  # type: ignore[no-untyped-def]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/"):
                yield path, method, operation


def test_every_operation_has_a_tag_summary_and_success_response(schema) -> None:  # type: ignore[no-untyped-def]
    ops = list(operations(schema))
    assert len(ops) >= 18
    for path, method, operation in ops:
        assert operation.get("tags"), (path, method)
        assert operation.get("summary"), (path, method)
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, (path, method)


def test_every_operation_lists_its_error_codes_in_the_error_schema(schema) -> None:  # type: ignore[no-untyped-def]
    for path, method, operation in operations(schema):
        errors = {code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))}
        assert errors, (path, method)
        for response in errors.values():
            assert "Error codes:" in response["description"]
            assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_request_bodies_are_documented(schema) -> None:  # type: ignore[no-untyped-def]
    verify = schema["paths"]["/api/v1/auth/register/verify"]["post"]
    ref = verify["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"ceremony_id", "credential"} <= set(component["properties"])

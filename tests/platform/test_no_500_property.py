"""Acceptance 4 (issue 17): arbitrary JSON into every endpoint's input serializer, and into every endpoint that
takes a body, is answered with success or a 4xx, never a server error.

The endpoints and their serializers are read from the schema generator, so an endpoint added later is covered
without touching this file. Hypothesis draws JSON with the values that broke us before: strings `str.isdigit()`
accepts and `int()` refuses ("²"), hex that is not hex ("0xzz"), numbers past 2^128 and 2^256, nested objects
where a scalar belongs, and the serializer's own field names as keys, so the drawing reaches past the first
`required` check. `HYPOTHESIS_SERIALIZER_EXAMPLES` and `HYPOTHESIS_ENDPOINT_EXAMPLES` size the runs.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.test import APIClient

from tests.support.error_recorder import API_PREFIX

pytestmark = pytest.mark.django_db

_PARAM = re.compile(r"\{([^}]+)\}")
_BODY_METHODS = ("POST", "PUT", "PATCH")

#: Strings that looked like numbers, hex, addresses or ids to lenient parsers.
TRICKY_STRINGS = [
    "²",
    "٣",
    " 7",
    "1_000",
    "+1",
    "-1",
    "0b1",
    "0x",
    "0xzz",
    "0x" + "f" * 65,
    "1e3",
    "NaN",
    "",
    "native",
    "0x" + "ab" * 20,
    "0x" + "AB" * 20,
    "0x" + "00" * 32,
    str(2**128),
    str(2**256),
    "\x00",
    "public-key",
    "x" * 300,
]
TRICKY_NUMBERS = [0, -1, 1, 2**53 + 1, 2**64, 2**128, 2**256, -(2**256), 1.5, 1e308, -0.0]


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(TRICKY_NUMBERS),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(TRICKY_STRINGS),
        st.text(max_size=40),
    )
    key = st.sampled_from(keys) if keys else st.text(max_size=10)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.one_of(key, st.text(max_size=10)), inner, max_size=5)
        ),
        max_leaves=12,
    )


def field_names(serializer: Any) -> list[str]:
    """Every field name of a serializer and of the serializers nested in it, as keys worth drawing."""
    names: set[str] = set()
    pending = [serializer]
    while pending:
        current = pending.pop()
        current = getattr(current, "child", current)  # a ListSerializer's items
        if isinstance(current, type):
            current = current()
        if not isinstance(current, serializers.BaseSerializer):
            continue  # a raw schema (dict): only the usual keys below
        for name, field in getattr(current, "fields", {}).items():
            names.add(name)
            if isinstance(field, (serializers.BaseSerializer, serializers.ListSerializer)):
                pending.append(field)
    # The nested shapes that services read from JSON fields (credentials, typed data, intents, user operations).
    names |= {"response", "clientDataJSON", "userHandle", "details", "token", "amount", "to", "value", "data"}
    return sorted(names)


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    view: type
    serializer: Any

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations() -> list[Operation]:
    """Every documented API operation with its request (or query) serializer, as drf-spectacular sees them."""
    from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

    generator = SchemaGenerator()
    found = []
    for path, _, method, callback in EndpointEnumerator().get_api_endpoints():
        if not path.startswith(API_PREFIX):
            continue
        view = generator.create_view(callback, method)
        request_serializer = view.schema.get_request_serializer() if method in _BODY_METHODS else None
        found.append(Operation(path=path, method=method, view=callback.cls, serializer=request_serializer))
    return found


OPERATIONS = operations()
SERIALIZERS = {
    type(op.serializer) if not isinstance(op.serializer, type) else op.serializer: op
    for op in OPERATIONS
    if op.serializer is not None and not isinstance(op.serializer, dict)
}


def instantiate(serializer: Any, data: Any) -> serializers.BaseSerializer[Any]:
    cls = serializer if isinstance(serializer, type) else type(serializer)
    return cls(data=data)  # type: ignore[no-any-return]


@pytest.mark.parametrize("serializer_class", SERIALIZERS.keys(), ids=[c.__name__ for c in SERIALIZERS])
def test_every_input_serializer_refuses_arbitrary_json_without_raising(serializer_class: type) -> None:
    keys = field_names(serializer_class())

    @settings(
        max_examples=int(os.environ.get("HYPOTHESIS_SERIALIZER_EXAMPLES", 150)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=json_values(keys))
    def check(data: Any) -> None:
        serializer = instantiate(serializer_class, data)
        if serializer.is_valid():  # anything else is an errors dict, never an exception
            assert isinstance(serializer.validated_data, dict)
        else:
            assert serializer.errors

    check()


def test_query_serializers_take_arbitrary_query_strings() -> None:
    """The same for query parameters (a QueryDict of strings, as a URL carries them)."""
    from apps.paymaster.api.serializers import TransactionFilterIn

    @settings(max_examples=200, deadline=None)
    @given(params=st.dictionaries(st.sampled_from(["status", "chain_id", "x"]), st.text(max_size=30), max_size=3))
    def check(params: dict[str, str]) -> None:
        query = QueryDict(mutable=True)
        query.update(params)
        serializer = TransactionFilterIn(data=query)
        serializer.is_valid()

    check()


def _path(template: str, draw_value: str) -> str:
    return _PARAM.sub(lambda _: draw_value, template)


@pytest.fixture
def signed_in(wallet, settings):  # type: ignore[no-untyped-def]
    """A signed-up person; rate limits out of the way (they are tested on their own)."""
    settings.RATE_LIMITS = {scope: "1000000/m" for scope in settings.RATE_LIMITS}
    wallet.sign_up("property_person")
    return wallet


BODY_OPERATIONS = [op for op in OPERATIONS if op.method in _BODY_METHODS]


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=[str(op) for op in BODY_OPERATIONS])
def test_every_endpoint_answers_arbitrary_json_with_success_or_4xx(signed_in, operation: Operation) -> None:  # type: ignore[no-untyped-def]
    keys = field_names(operation.serializer) if operation.serializer is not None else []
    token = signed_in.tokens["access_token"]

    @settings(
        max_examples=int(os.environ.get("HYPOTHESIS_ENDPOINT_EXAMPLES", 25)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        body=json_values(keys),
        path_value=st.one_of(st.just(str(uuid.uuid4())), st.sampled_from(["x", "0", "property_person", "%00"])),
        authenticated=st.booleans(),
    )
    def check(body: Any, path_value: str, authenticated: bool) -> None:
        client = APIClient()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if authenticated else {}
        response = getattr(client, operation.method.lower())(
            _path(operation.path, path_value), body, format="json", **headers
        )
        assert response.status_code < 500, (operation, body, response.content[:500])

    check()


def test_a_nul_character_anywhere_in_a_body_is_malformed_not_a_database_error() -> None:
    """PostgreSQL cannot store U+0000; the parser refuses it before any view (lykos/parsers.py)."""
    client = APIClient()
    for body in ({"username": "a\x00b"}, {"x\x00": 1}, {"nested": [{"deep": "\x00"}]}):
        response = client.post("/api/v1/auth/register/options", body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "malformed_request"

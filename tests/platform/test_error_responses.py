"""The schema's error responses come from the exception classes: grouped by status, each code listed once."""

import pytest
from drf_spectacular.utils import OpenApiResponse

from lykos.api import ErrorResponse, ErrorSerializer, error_responses
from lykos.errors import Conflict, Forbidden, LykosError, NotAuthenticated, NotFound


class TokenStale(NotAuthenticated):
    code = "token_stale"


class SlotTaken(Conflict):
    code = "slot_taken"


def described(responses: dict[int, OpenApiResponse]) -> dict[int, str]:
    return {status: response.description for status, response in responses.items()}


def test_classes_are_grouped_by_their_status_in_the_order_named() -> None:
    responses = error_responses(NotAuthenticated, TokenStale, NotFound, SlotTaken)
    assert described(responses) == {
        401: "Error codes: `not_authenticated`, `token_stale`",
        404: "Error codes: `not_found`",
        409: "Error codes: `slot_taken`",
    }


def test_validation_and_throttled_add_the_platform_codes() -> None:
    responses = error_responses(Forbidden, validation=True, throttled=True)
    assert described(responses) == {
        400: "Error codes: `validation_error`",
        403: "Error codes: `permission_denied`",
        429: "Error codes: `rate_limited`",
        503: "Error codes: `dependency_unavailable`",
    }


class OtherMissing(NotFound):
    """A second class with the same code (one meaning, one code)."""


def test_a_code_named_twice_is_listed_once() -> None:
    assert described(error_responses(NotFound, OtherMissing, NotFound)) == {404: "Error codes: `not_found`"}


def test_each_response_keeps_the_classes_it_documents() -> None:
    responses = error_responses(TokenStale, SlotTaken, NotAuthenticated)
    assert isinstance(responses[401], ErrorResponse)
    assert responses[401].errors == (TokenStale, NotAuthenticated)
    assert responses[409].errors == (SlotTaken,)


def test_every_response_uses_the_error_schema() -> None:
    for response in error_responses(LykosError, validation=True).values():
        assert response.response is ErrorSerializer


def test_codes_typed_by_status_are_refused() -> None:
    """The keyword form (`s400=["validation_error"]`) retyped codes the classes declare; it is gone."""
    with pytest.raises(TypeError):
        error_responses(s400=["validation_error"])  # type: ignore[call-arg]

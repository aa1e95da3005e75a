"""The schema's error responses come from the exception classes: grouped by status, each code listed once."""

import pytest
from drf_spectacular.utils import OpenApiResponse

from lykos.api import ErrorSerializer, error_responses
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
    }


def test_a_code_named_twice_is_listed_once() -> None:
    assert described(error_responses(NotFound, NotFound, s404=["not_found"])) == {404: "Error codes: `not_found`"}


def test_the_deprecated_keyword_form_still_documents_and_merges_with_classes() -> None:
    assert described(error_responses(s400=["validation_error"], s401=["not_authenticated"])) == {
        400: "Error codes: `validation_error`",
        401: "Error codes: `not_authenticated`",
    }
    assert described(error_responses(SlotTaken, s409=["other_conflict"])) == {
        409: "Error codes: `slot_taken`, `other_conflict`"
    }


def test_every_response_uses_the_error_schema() -> None:
    for response in error_responses(LykosError, validation=True).values():
        assert response.response is ErrorSerializer


def test_a_keyword_that_is_no_code_list_is_refused() -> None:
    with pytest.raises(TypeError):
        error_responses(s400="validation_error")

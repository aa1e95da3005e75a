"""The typed caller of an authenticated view: its user and its access token's claims, or a 401."""

import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.request import Request

from apps.identity.models import User
from apps.identity.requests import access_claims, authenticated_user
from apps.identity.services.tokens import AccessClaims
from lykos.errors import NotAuthenticated


@pytest.mark.django_db
def test_authenticated_user_is_the_signed_in_user(rf) -> None:  # type: ignore[no-untyped-def]
    user = User.objects.create_user("ada")
    request = rf.get("/")
    request.user = user
    assert authenticated_user(request) == user
    api_request = Request(rf.get("/"))
    api_request.user = user
    assert authenticated_user(api_request) == user


def test_an_anonymous_request_has_no_authenticated_user(rf) -> None:  # type: ignore[no-untyped-def]
    request = rf.get("/")
    request.user = AnonymousUser()
    with pytest.raises(NotAuthenticated):
        authenticated_user(request)


def test_access_claims_are_the_tokens_and_nothing_else(rf) -> None:  # type: ignore[no-untyped-def]
    claims = AccessClaims(
        user_id=uuid.uuid4(), session_id=uuid.uuid4(), device_id=uuid.uuid4(), expires_at=datetime.now(UTC), jti="j"
    )
    request = Request(rf.get("/"))
    request.auth = claims
    assert access_claims(request) is claims
    request.auth = None
    with pytest.raises(NotAuthenticated):
        access_claims(request)

"""OIDC Core 3.1.2.1 `max_age`: when the person's last authentication is older, they log in again before a code
is issued, and the id_token's `auth_time` is that new login (a strict client checks auth_time + max_age)."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from apps.identity.models import Session, User

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_authentication_older_than_max_age_is_asked_again(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    person = make_person()
    person.sign_up("max_aged")
    user = User.objects.get(username="max_aged")
    client = OAuth2Session(
        platform.client_id,
        platform.client_secret,
        scope="openid",
        redirect_uri=platform.redirect_uri,
        code_challenge_method="S256",
    )

    def authorize_url(**params: str) -> tuple[str, str]:
        verifier = secrets.token_urlsafe(48)
        url, _ = client.create_authorization_url(f"{live_origin}/o/authorize/", code_verifier=verifier, **params)
        return url, verifier

    url, _ = authorize_url()
    first = person.get(url)
    person.consent(person.passkey_login_for(first.headers["Location"]))  # log in, consent once
    # That login was 20 minutes ago.
    Session.objects.filter(user=user).update(created_at=timezone.now() - timedelta(minutes=20), authenticated_at=None)

    url, _ = authorize_url()
    remembered = person.get(url)  # no max_age: the remembered grant answers at once
    assert remembered.status_code == 302 and "code=" in remembered.headers["Location"]

    url, verifier = authorize_url(max_age="600")
    asked = person.get(url)
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/login")
    next_url = person.passkey_login_for(asked.headers["Location"])
    assert "max_age" not in parse_qs(urlparse(next_url).query)
    back = person.get(next_url)
    assert back.status_code == 302 and "code=" in back.headers["Location"]
    token = client.fetch_token(
        f"{live_origin}/o/token/", authorization_response=back.headers["Location"], code_verifier=verifier
    )
    keys = KeySet.import_key_set(requests.get(f"{live_origin}/o/.well-known/jwks.json", timeout=10).json())
    auth_time = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims["auth_time"]
    assert time.time() - auth_time < 120  # the new login, not the one of 20 minutes ago

    # Fresh enough now: max_age is satisfied without another login.
    url, _ = authorize_url(max_age="600")
    again = person.get(url)
    assert again.status_code == 302 and "code=" in again.headers["Location"]

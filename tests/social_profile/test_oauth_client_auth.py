"""Client authentication comes before every per-platform rule: a forged client id (Basic header, body field or
bearer token) spends no platform's rate limit and meters nothing, and introspection answers a platform about its
own tokens only, whatever it sends."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from apps.social_profile.models import PlatformUsage
from tests.support.oauth import Person, Platform

pytestmark = pytest.mark.django_db(transaction=True)


def _tokens(person: Person, platform: Platform, origin: str) -> dict[str, Any]:
    """The person signs in to `platform` (passkey login, consent); the platform redeems the code."""
    client = OAuth2Session(
        platform.client_id,
        platform.client_secret,
        scope="openid profile",
        redirect_uri=platform.redirect_uri,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(f"{origin}/o/authorize/", code_verifier=verifier)
    first = person.get(url)
    if first.status_code == 302 and "/login" in first.headers["Location"]:
        url = person.passkey_login_for(first.headers["Location"])
        first = person.get(url)
    back = first.headers["Location"] if first.status_code == 302 else person.consent(url)
    assert "code" in parse_qs(urlparse(back).query), back
    token: dict[str, Any] = client.fetch_token(
        f"{origin}/o/token/", authorization_response=back, code_verifier=verifier
    )
    return token


def test_forged_client_credentials_neither_spend_nor_meter_another_platforms_limit(make_platform, live_origin) -> None:  # type: ignore[no-untyped-def]
    victim = make_platform(rate_limit="3/m")
    refresh = {"grant_type": "refresh_token", "refresh_token": "x"}
    forged = [
        lambda: requests.post(f"{live_origin}/o/token/", data=refresh, auth=(victim.client_id, "forged"), timeout=10),
        lambda: requests.post(
            f"{live_origin}/o/token/",
            data={**refresh, "client_id": victim.client_id, "client_secret": "forged"},
            timeout=10,
        ),
        lambda: requests.post(f"{live_origin}/o/token/", data={**refresh, "client_id": victim.client_id}, timeout=10),
        lambda: requests.post(
            f"{live_origin}/o/revoke_token/", data={"token": "x"}, auth=(victim.client_id, "forged"), timeout=10
        ),
        lambda: requests.post(
            f"{live_origin}/o/introspect/", data={"token": "x"}, auth=(victim.client_id, "forged"), timeout=10
        ),
        lambda: requests.get(
            f"{live_origin}/o/userinfo/", headers={"Authorization": "Bearer " + secrets.token_urlsafe(24)}, timeout=10
        ),
    ]
    for attempt in forged * 2:
        response = attempt()
        assert response.status_code in (401, 403), (response.status_code, response.text)
    assert not PlatformUsage.objects.filter(application=victim.application).exists()

    # The victim's whole budget is still there: three calls, then 429.
    credentials = (victim.client_id, victim.client_secret)
    genuine = [requests.post(f"{live_origin}/o/token/", data=refresh, auth=credentials, timeout=10) for _ in range(4)]
    assert [r.status_code for r in genuine] == [400, 400, 400, 429]
    assert PlatformUsage.objects.get(application=victim.application, endpoint="token").calls == 3


def test_a_platform_cannot_introspect_another_platforms_token_whatever_it_sends(
    make_platform, make_person, live_origin
) -> None:  # type: ignore[no-untyped-def]
    owner, prying = make_platform(name="Owner"), make_platform(name="Prying")
    person = make_person()
    person.sign_up("introspected")
    token = _tokens(person, owner, live_origin)["access_token"]
    prying_token = _tokens(person, prying, live_origin)["access_token"]
    introspect = f"{live_origin}/o/introspect/"

    def ask(**kwargs: Any) -> requests.Response:
        data = {"token": token, **kwargs.pop("data", {})}
        return requests.post(introspect, data=data, timeout=10, **kwargs)

    attempts = [
        ask(auth=(prying.client_id, prying.client_secret)),
        ask(auth=(prying.client_id, prying.client_secret), data={"client_id": owner.client_id}),
        ask(data={"client_id": prying.client_id, "client_secret": prying.client_secret}),
        ask(data={"client_id": owner.client_id, "client_secret": prying.client_secret}),
        ask(auth=(owner.client_id, prying.client_secret)),
        ask(auth=(owner.client_id, "")),
        ask(data={"client_id": owner.client_id}),
        ask(),
        ask(headers={"Authorization": f"Bearer {prying_token}"}),
        ask(headers={"Authorization": f"Bearer {token}"}),
        requests.get(introspect, params={"token": token}, auth=(prying.client_id, prying.client_secret), timeout=10),
    ]
    for response in attempts:
        assert response.status_code in (200, 401, 403), response.status_code
        if response.status_code == 200:
            assert response.json() == {"active": False}, response.json()

    mine = ask(auth=(owner.client_id, owner.client_secret)).json()
    assert mine["active"] is True and mine["client_id"] == owner.client_id


def test_guessing_client_secrets_from_one_ip_is_throttled_before_any_secret_is_checked(
    make_platform, live_origin, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.NUM_PROXIES = 1  # the client's address comes from X-Forwarded-For, so two clients can be told apart
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "oauth_client_invalid": "3/m"}
    platform = make_platform()
    refresh = {"grant_type": "refresh_token", "refresh_token": "x"}

    def call(ip: str, secret: str) -> requests.Response:
        return requests.post(
            f"{live_origin}/o/token/",
            data=refresh,
            auth=(platform.client_id, secret),
            headers={"X-Forwarded-For": ip},
            timeout=10,
        )

    guesses = [call("203.0.113.9", secrets.token_urlsafe(8)).status_code for _ in range(4)]
    assert guesses == [401, 401, 401, 429]
    # Spent for that address, whatever it sends now; the platform itself, elsewhere, is not held up.
    assert call("203.0.113.9", platform.client_secret).status_code == 429
    assert call("198.51.100.7", platform.client_secret).status_code == 400  # authenticated; the grant is junk

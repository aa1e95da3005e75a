"""Sign up with Social Wallet, seen from the platform: an unmodified OIDC client (Authlib) against the live
server, a person logging in with a passkey and consenting, and every refusal the specs require."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.test import override_settings
from joserfc import jwt
from joserfc.jwk import KeySet

from apps.social_profile.models import ConsentGrant, DataAccessLog, PlatformUsage
from apps.social_profile.oauth.keys import oidc_key_rotate
from apps.social_profile.oauth.subjects import pairwise_subject
from lykos.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def discover(origin: str) -> dict:
    response = requests.get(f"{origin}/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 200
    return response.json()


def client_for(platform, scope: str) -> OAuth2Session:  # type: ignore[no-untyped-def]
    return OAuth2Session(
        platform.client_id,
        platform.client_secret,
        scope=scope,
        redirect_uri=platform.redirect_uri,
        code_challenge_method="S256",
    )


def authorize(person, platform, config: dict, *, scope: str, untick: set[str] = frozenset()):  # type: ignore[no-untyped-def]
    """The platform sends the person to us; they log in with their passkey and consent. Returns the client,
    the URL the person is sent back to, the PKCE verifier and the nonce."""
    client = client_for(platform, scope)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(config["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    first = person.get(url)
    if first.status_code == 302 and "/login" in first.headers["Location"]:
        url = person.passkey_login_for(first.headers["Location"])
        first = person.get(url)
    # A remembered grant sends the person straight back; otherwise they answer the consent page.
    back = first.headers["Location"] if first.status_code == 302 else person.consent(url, untick=untick)
    return client, back, verifier, nonce, state


def test_sign_in_from_the_platform_with_authlib_verifies_the_id_token_and_reads_only_granted_claims(
    make_platform, make_person, live_origin
) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(redirect_uri="https://platform.example/callback")
    person = make_person()
    person.sign_up("ada_social")
    assert person.api("patch", "/api/v1/profile", json={"display_name": "Ada L", "bio": "Counting engines"}).ok

    config = discover(live_origin)
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "profile", "email", "wallet", "badges"} <= set(config["scopes_supported"])
    client, back, verifier, nonce, state = authorize(
        person, platform, config, scope="openid profile email wallet", untick={"wallet"}
    )
    assert back.startswith(platform.redirect_uri)
    assert parse_qs(urlparse(back).query)["state"] == [state]

    token = client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)
    # The partial grant is visible to the platform in the token response.
    assert set(token["scope"].split()) == {"openid", "profile", "email"}
    assert token["refresh_token"] and token["id_token"]

    jwks = KeySet.import_key_set(requests.get(config["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])  # the signature is checked here
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": config["issuer"]},
        aud={"essential": True, "value": platform.client_id},
        exp={"essential": True},
    ).validate(decoded.claims)
    claims = decoded.claims
    assert claims["nonce"] == nonce
    # Pairwise (OIDC Core 8.1): the platform's own identifier for the person, the same in userinfo.
    assert claims["sub"] == pairwise_subject(user_id=person.tokens["user"]["id"], application=platform.application)
    assert claims["sub"] != person.tokens["user"]["id"]

    userinfo = client.get(config["userinfo_endpoint"])
    assert userinfo.status_code == 200
    # Exactly the granted claims: profile's fields, no email (none verified), nothing from `wallet`.
    assert set(userinfo.json()) == {"sub", "preferred_username", "name", "bio", "updated_at"}
    assert userinfo.json()["name"] == "Ada L" and userinfo.json()["sub"] == claims["sub"]

    # Every read is in the user's own log, and the platform's calls are metered.
    log = person.api("get", "/api/v1/me/data-access").json()["results"]
    assert [entry["endpoint"] for entry in log] == ["userinfo", "id_token"]
    assert set(log[0]["fields"]) == set(userinfo.json())
    assert DataAccessLog.objects.filter(client_id=platform.client_id).count() == 2
    assert AuditEvent.objects.filter(event_type="oauth.data_read").count() == 2
    usage = {u.endpoint: u.calls for u in PlatformUsage.objects.filter(application=platform.application)}
    assert usage == {"token": 1, "userinfo": 1}
    with override_settings(METRICS_TOKEN="scraper"):  # /metrics answers only a scraper with the token
        metrics = requests.get(f"{live_origin}/metrics", headers={"Authorization": "Bearer scraper"}, timeout=10).text
    assert f'lykos_platform_calls_total{{client_id="{platform.client_id}",endpoint="userinfo"}}' in metrics

    platforms = person.api("get", "/api/v1/platforms").json()
    assert platforms[0]["client_id"] == platform.client_id
    assert set(platforms[0]["scopes"]) == {"openid", "profile", "email"}
    assert platforms[0]["last_read_at"] is not None


def test_a_remembered_grant_skips_consent_until_the_platform_asks_for_more(
    make_platform, make_person, live_origin
) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    person = make_person()
    person.sign_up("remember_me")
    config = discover(live_origin)
    authorize(person, platform, config, scope="openid profile email", untick={"email"})

    again = client_for(platform, "openid profile email")
    url, _ = again.create_authorization_url(config["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48))
    skipped = person.get(url)
    assert skipped.status_code == 302 and skipped.headers["Location"].startswith(platform.redirect_uri)
    assert "code=" in skipped.headers["Location"]

    grown = client_for(platform, "openid profile email wallet")
    url, _ = grown.create_authorization_url(config["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48))
    asked = person.get(url)
    assert asked.status_code == 200 and 'id="consent-form"' in asked.text
    grant = ConsentGrant.objects.get(application=platform.application)
    assert grant.granted_scopes == "openid profile"


def test_id_tokens_verify_across_a_signing_key_rotation(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    person = make_person()
    person.sign_up("rotating")
    config = discover(live_origin)
    client, back, verifier, _, _ = authorize(person, platform, config, scope="openid")
    before = client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)

    oidc_key_rotate()
    client, back, verifier, _, _ = authorize(person, platform, config, scope="openid profile")
    after = client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)

    jwks = requests.get(config["jwks_uri"], timeout=10).json()
    assert len(jwks["keys"]) >= 2
    key_set = KeySet.import_key_set(jwks)
    kids = set()
    for token in (before, after):
        decoded = jwt.decode(token["id_token"], key_set, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(exp={"essential": True}).validate(decoded.claims)
        kids.add(decoded.header["kid"])
    assert len(kids) == 2  # two keys, both still published


# --- refusals -------------------------------------------------------------------------------------------


def _code(person, platform, config, *, scope: str = "openid profile"):  # type: ignore[no-untyped-def]
    client, back, verifier, _, _ = authorize(person, platform, config, scope=scope)
    return client, back, verifier, parse_qs(urlparse(back).query)["code"][0]


def _token_call(config: dict, platform, **data: str) -> requests.Response:  # type: ignore[no-untyped-def]
    return requests.post(
        config["token_endpoint"], data=data, auth=(platform.client_id, platform.client_secret), timeout=10
    )


def test_pkce_is_required_and_a_wrong_verifier_is_refused(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    person = make_person()
    person.sign_up("pkce_user")
    config = discover(live_origin)

    # No code_challenge: refused at the authorize endpoint (redirected back with an error).
    query = urlencode(
        {
            "response_type": "code",
            "client_id": platform.client_id,
            "redirect_uri": platform.redirect_uri,
            "scope": "openid",
            "state": "s1",
        }
    )
    first = person.get(f"{config['authorization_endpoint']}?{query}")
    next_url = person.passkey_login_for(first.headers["Location"])
    refused = person.get(next_url)
    assert refused.status_code == 302
    assert parse_qs(urlparse(refused.headers["Location"]).query)["error"] == ["invalid_request"]

    # `plain` is not accepted either (S256 only).
    plain = query + "&" + urlencode({"code_challenge": "x" * 43, "code_challenge_method": "plain"})
    refused = person.get(f"{config['authorization_endpoint']}?{plain}")
    assert parse_qs(urlparse(refused.headers["Location"]).query)["error"] == ["invalid_request"]

    _, _, verifier, code = _code(person, platform, config)
    missing = _token_call(
        config, platform, grant_type="authorization_code", code=code, redirect_uri=platform.redirect_uri
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = _token_call(
        config,
        platform,
        grant_type="authorization_code",
        code=code,
        redirect_uri=platform.redirect_uri,
        code_verifier=secrets.token_urlsafe(48),
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert create_s256_code_challenge(verifier)  # the real verifier was never sent


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(redirect_uri="https://platform.example/callback")
    person = make_person()
    person.sign_up("redirect_user")
    config = discover(live_origin)
    client = OAuth2Session(
        platform.client_id,
        platform.client_secret,
        scope="openid",
        redirect_uri="https://platform.example/callback/../evil",
        code_challenge_method="S256",
    )
    url, _ = client.create_authorization_url(config["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48))
    first = person.get(url)
    next_url = person.passkey_login_for(first.headers["Location"])
    for bad in (
        "https://platform.example/callback/../evil",
        "https://platform.example/callback?x=1",
        "https://attacker.example/callback",
    ):
        bad_url = next_url.replace(
            "redirect_uri=https%3A%2F%2Fplatform.example%2Fcallback%2F..%2Fevil", urlencode({"redirect_uri": bad})
        )
        refused = person.get(bad_url)
        # Per RFC 6749 4.1.2.1 the user is told, never sent to an unregistered URI.
        assert refused.status_code == 400, (bad, refused.status_code, refused.headers.get("Location"))
        assert "Location" not in refused.headers


def test_a_code_is_single_use(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    person = make_person()
    person.sign_up("code_once")
    config = discover(live_origin)
    client, back, verifier, code = _code(person, platform, config)
    assert client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)
    again = _token_call(
        config,
        platform,
        grant_type="authorization_code",
        code=code,
        redirect_uri=platform.redirect_uri,
        code_verifier=verifier,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_reused_refresh_token_revokes_its_whole_family(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    person = make_person()
    person.sign_up("refresher")
    config = discover(live_origin)
    client, back, verifier, _ = _code(person, platform, config)
    first = client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)

    rotated = _token_call(config, platform, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]

    reused = _token_call(config, platform, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # The thief's replay killed the family: the legitimate successor and its access token are dead too.
    successor = _token_call(config, platform, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert successor.status_code == 400 and successor.json()["error"] == "invalid_grant"
    info = requests.get(
        config["userinfo_endpoint"], headers={"Authorization": f"Bearer {second['access_token']}"}, timeout=10
    )
    assert info.status_code == 401


def test_a_scope_the_platform_may_not_request_is_refused(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(scopes="openid profile")
    person = make_person()
    person.sign_up("scoped")
    config = discover(live_origin)
    client = client_for(platform, "openid profile phone")
    url, _ = client.create_authorization_url(config["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48))
    first = person.get(url)
    refused = person.get(person.passkey_login_for(first.headers["Location"]))
    assert refused.status_code == 302
    assert parse_qs(urlparse(refused.headers["Location"]).query)["error"] == ["invalid_scope"]


def test_revocation_introspection_and_a_user_revoking_the_platform(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    other_platform = make_platform(name="Other")
    person = make_person()
    person.sign_up("revoker")
    config = discover(live_origin)
    introspect = config["introspection_endpoint"]

    client, back, verifier, _ = _code(person, platform, config)
    tokens = client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)
    active = requests.post(
        introspect,
        data={"token": tokens["access_token"]},
        auth=(platform.client_id, platform.client_secret),
        timeout=10,
    ).json()
    assert active["active"] is True and active["client_id"] == platform.client_id
    # Another platform cannot learn anything about this token.
    foreign = requests.post(
        introspect,
        data={"token": tokens["access_token"]},
        auth=(other_platform.client_id, other_platform.client_secret),
        timeout=10,
    ).json()
    assert foreign == {"active": False}

    # RFC 7009: the platform revokes its refresh token; the grant it carried is gone.
    revoked = requests.post(
        config["revocation_endpoint"],
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(platform.client_id, platform.client_secret),
        timeout=10,
    )
    assert revoked.status_code == 200
    refused = _token_call(config, platform, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

    # A fresh grant, then the person revokes the platform: tokens die at once, and an unused code too.
    client, back, verifier, _ = _code(person, platform, config)
    tokens = client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)
    _, _, pending_verifier, pending_code = _code(person, platform, config)
    assert person.api("delete", f"/api/v1/platforms/{platform.client_id}").status_code == 204
    assert person.api("delete", f"/api/v1/platforms/{platform.client_id}").status_code == 404

    info = requests.get(
        config["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    )
    assert info.status_code == 401
    assert requests.post(
        introspect,
        data={"token": tokens["access_token"]},
        auth=(platform.client_id, platform.client_secret),
        timeout=10,
    ).json() == {"active": False}
    assert (
        _token_call(config, platform, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()["error"]
        == "invalid_grant"
    )
    late = _token_call(
        config,
        platform,
        grant_type="authorization_code",
        code=pending_code,
        redirect_uri=platform.redirect_uri,
        code_verifier=pending_verifier,
    )
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert person.api("get", "/api/v1/platforms").json() == []
    assert AuditEvent.objects.filter(event_type="oauth.platform_revoked").count() == 1


def test_a_wrong_client_secret_is_refused(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    person = make_person()
    person.sign_up("secretive")
    config = discover(live_origin)
    _, _, verifier, code = _code(person, platform, config)
    response = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": platform.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(platform.client_id, "not-the-secret"),
        timeout=10,
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    # Secrets are stored hashed.
    platform.application.refresh_from_db()
    assert platform.client_secret not in platform.application.client_secret


# --- per-platform rules ---------------------------------------------------------------------------------


def test_cors_preflight_is_allowed_only_from_the_platforms_registered_origin(make_platform, live_origin) -> None:  # type: ignore[no-untyped-def]
    make_platform(origins="https://app.platform.example")

    def preflight(origin: str) -> requests.Response:
        return requests.options(
            f"{live_origin}/o/token/",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=10,
        )

    allowed = preflight("https://app.platform.example")
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.platform.example"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    for stranger in (
        "https://evil.example",
        "https://app.platform.example.evil.example",
        "http://app.platform.example",
    ):
        refused = preflight(stranger)
        assert "Access-Control-Allow-Origin" not in refused.headers, stranger


def test_a_platform_over_its_rate_limit_gets_429(make_platform, make_person, live_origin) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(rate_limit="3/m")
    config = discover(live_origin)
    statuses = [
        requests.post(
            config["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            auth=(platform.client_id, platform.client_secret),
            timeout=10,
        )
        for _ in range(4)
    ]
    assert [r.status_code for r in statuses[:3]] == [400, 400, 400]
    assert statuses[3].status_code == 429
    assert statuses[3].json()["error"]["code"] == "rate_limited"
    assert int(statuses[3].headers["Retry-After"]) >= 1

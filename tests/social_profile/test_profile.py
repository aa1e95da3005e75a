"""The profile: edits through the API, visibility per field on the public page and towards platforms, and
the browser-session endpoint's CSRF protection."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.identity.models import User
from apps.social_profile.models import Badge
from apps.social_profile.oauth.claims import user_claims
from lykos.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_edit_the_profile_and_see_it_public_by_username(wallet, client) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("profiled")
    empty = wallet.authed("get", "/api/v1/profile")
    assert empty.status_code == 200 and empty.json()["visibility"]["bio"] == "public"

    edited = wallet.authed(
        "patch",
        "/api/v1/profile",
        {
            "display_name": "Pro Filed",
            "bio": "Hello there",
            "links": [{"label": "site", "url": "https://example.com"}],
            "visibility": {"bio": "private", "links": "consent"},
        },
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["display_name"] == "Pro Filed" and edited.json()["visibility"]["bio"] == "private"
    assert AuditEvent.objects.filter(event_type="profile.social_updated").exists()

    public = client.get("/api/v1/profiles/PROFILED").json()
    assert public == {"username": "profiled", "display_name": "Pro Filed"}
    assert client.get("/api/v1/profiles/nobody_here").status_code == 404

    user = User.objects.get(username="profiled")
    claims = user_claims(user=user, scopes={"openid", "profile"})
    assert claims["links"] == [{"label": "site", "url": "https://example.com"}]  # shared on consent
    assert "bio" not in claims  # private never leaves
    assert "email" not in user_claims(user=user, scopes={"openid", "profile"})


def test_profile_input_is_validated(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("validated")
    for body in (
        {"links": [{"label": "x", "url": "http://insecure.example"}]},
        {"visibility": {"bio": "everyone"}},
        {"bio": "x" * 501},
        {"username": "no spaces allowed"},
    ):
        response = wallet.authed("patch", "/api/v1/profile", body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "validation_error"


def test_badges_claim_follows_scope_and_visibility(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("badged")
    user = User.objects.get(username="badged")
    Badge.objects.create(user=user, kind="email", method="email_code")
    assert user_claims(user=user, scopes={"openid", "badges"})["badges"][0]["type"] == "email"
    assert "badges" not in user_claims(user=user, scopes={"openid"})
    wallet.authed("patch", "/api/v1/profile", {"visibility": {"badges": "private"}})
    assert "badges" not in user_claims(user=user, scopes={"openid", "badges"})
    assert user_claims(user=user, scopes={"openid", "wallet"})["wallet_addresses"] is not None


def test_the_browser_session_endpoint_refuses_a_cross_site_request(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("csrf_target")
    strict = APIClient(enforce_csrf_checks=True)
    token = wallet.tokens["access_token"]
    refused = strict.post("/api/v1/oauth/session", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert "sessionid" not in refused.cookies

    strict.get("/login")  # the login page sets the CSRF cookie, its form carries the token
    csrf = strict.cookies["csrftoken"].value
    opened = strict.post("/api/v1/oauth/session", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_CSRFTOKEN=csrf)
    assert opened.status_code == 200 and "sessionid" in opened.cookies
    assert strict.post("/api/v1/oauth/session").status_code == 401  # a bearer token is required


def test_the_admin_shows_platform_usage_and_reviews(admin_client) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/admin/social_profile/platformusage/",
        "/admin/social_profile/identityreview/",
        "/admin/social_profile/dataaccesslog/",
        "/admin/social_profile/mediaasset/",
        "/admin/oauth2_provider/application/add/",
    ):
        assert admin_client.get(url).status_code == 200, url

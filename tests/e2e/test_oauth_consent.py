"""Sign up with Social Wallet in a real browser: a platform sends the person to us, they log in on the real
login page with a (virtual) passkey, untick a scope on the real consent page, and the platform gets a code
that an unmodified OIDC client exchanges for tokens carrying exactly what was granted."""

from __future__ import annotations

import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauth2_provider.models import get_application_model

from apps.identity.models import User
from apps.social_profile.models import ConsentGrant, PlatformRules
from apps.social_profile.oauth.subjects import pairwise_subject
from tests.support.browser import add_virtual_authenticator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


class _PlatformCallback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<h1 id='platform'>Welcome to the platform</h1>")

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def platform_site():  # type: ignore[no-untyped-def]
    """The platform's own web server, on another origin than ours (so the consent form's redirect crosses)."""
    server = HTTPServer(("127.0.0.1", 0), _PlatformCallback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_log_in_and_consent_in_chromium_then_the_platform_reads_the_granted_claims(
    page, live_origin, platform_site
) -> None:  # type: ignore[no-untyped-def]
    application_model = get_application_model()
    secret = secrets.token_urlsafe(32)
    redirect_uri = f"{platform_site}/callback"
    application = application_model.objects.create(
        name="Chirp",
        client_type=application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        client_secret=secret,
        algorithm=application_model.RS256_ALGORITHM,
    )
    PlatformRules.objects.create(application=application, allowed_scopes="openid profile email wallet")

    add_virtual_authenticator(page)
    page.goto(f"{live_origin}/signup")
    page.fill("#username", "chromium_oauth")
    page.fill("#display_name", "Chromium Person")
    page.click("#signup-button")
    page.wait_for_selector("#status[data-state='signed-in']", timeout=30000)
    page.context.clear_cookies()  # a fresh browser session: the authorize page must send us to log in

    config = requests.get(f"{live_origin}/.well-known/openid-configuration", timeout=10).json()
    client = OAuth2Session(
        application.client_id,
        secret,
        scope="openid profile email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(config["authorization_endpoint"], code_verifier=verifier)

    page.goto(url)
    page.wait_for_url(lambda url: url.startswith(f"{live_origin}/login?next="), timeout=30000)
    page.click("#login-button")  # usernameless: the discoverable passkey picks the user
    page.wait_for_url(lambda url: url.startswith(f"{live_origin}/o/authorize/"), timeout=30000)
    assert page.query_selector("#consent-form"), (page.url, page.content()[:2000])
    assert "Chirp" in page.text_content("#consent-title")
    assert page.is_disabled("#scope-openid")
    page.uncheck("#scope-email")
    page.click("#allow-button")
    page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"), timeout=30000)
    assert page.text_content("#platform") == "Welcome to the platform"

    back = page.url
    assert parse_qs(urlparse(back).query)["state"] == [state]
    token = client.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)
    assert set(token["scope"].split()) == {"openid", "profile"}
    claims = client.get(config["userinfo_endpoint"]).json()
    user = User.objects.get(username="chromium_oauth")
    assert claims["sub"] == pairwise_subject(user_id=user.id, application=application)  # not the global id
    assert claims["preferred_username"] == "chromium_oauth" and claims["name"] == "Chromium Person"
    assert "email" not in claims
    assert ConsentGrant.objects.get(user=user, application=application).granted_scopes == "openid profile"

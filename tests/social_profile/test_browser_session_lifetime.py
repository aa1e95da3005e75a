"""Issue 16, acceptance 4 and 5: sessions die with their cause, and a browser session never opens the admin.

A browser session for the OAuth pages is opened from an access token (`POST /api/v1/oauth/session`) exactly as
the login page does it (CSRF cookie from /login, then the header). It is tied to that identity session: a clone
flag, a device revocation, "log out everywhere" or a reused refresh token ends it at the next request, and the
consent page then sends the browser back to the login page. A staff member's passkey browser session meets the
admin's own password login at /admin/.
"""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import urlencode

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from rest_framework.test import APIClient

from apps.identity.models import Passkey, Session, User
from tests.support.api_wallet import Wallet
from tests.support.authenticator import SoftAuthenticator
from tests.support.oauth import Platform

pytestmark = pytest.mark.django_db


def browser_from(tokens: dict) -> APIClient:
    """A browser that logged in with the passkey and opened its OAuth-page session the way /login does."""
    browser = APIClient(enforce_csrf_checks=True)
    browser.get("/login")
    csrf = browser.cookies["csrftoken"].value
    opened = browser.post(
        "/api/v1/oauth/session", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}", HTTP_X_CSRFTOKEN=csrf
    )
    assert opened.status_code == 200, opened.content
    return browser


def consent_url(platform: Platform) -> str:
    query = {
        "response_type": "code",
        "client_id": platform.client_id,
        "redirect_uri": platform.redirect_uri,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(8),
        "code_challenge": create_s256_code_challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    return "/o/authorize/?" + urlencode(query)


def reaches_consent(browser: APIClient, platform: Platform) -> bool:
    page = browser.get(consent_url(platform))
    if page.status_code == 302:
        assert page["Location"].startswith("/login"), page["Location"]
        return False
    assert page.status_code == 200, page.content[:300]
    assert b"consent-form" in page.content
    return True


def assert_code(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_a_clone_flag_ends_the_devices_tokens_and_browser_session_at_once(wallet, make_platform) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    tokens = wallet.sign_up("cloned_owner")
    browser = browser_from(tokens)
    assert reaches_consent(browser, platform)
    assert wallet.authed("get", "/api/v1/me", token=tokens["access_token"]).status_code == 200

    # A clone answers with an older signature counter: the device is flagged.
    assert wallet.login(sign_count_step=10).status_code == 200
    later = wallet.tokens
    cred = next(iter(wallet.authenticator.credentials.values()))
    cred.sign_count = 1
    assert wallet.login(sign_count_step=1).json()["error"]["code"] == "possible_cloned_authenticator"
    assert Passkey.objects.get().status == Passkey.Status.FLAGGED

    for held in (tokens, later):
        assert_code(wallet.authed("get", "/api/v1/me", token=held["access_token"]), 401, "session_revoked")
        refreshed = wallet.post("/api/v1/auth/refresh", {"refresh_token": held["refresh_token"]})
        assert refreshed.status_code == 401 and refreshed.json()["error"]["code"].startswith("refresh_token")
    assert not Session.objects.filter(revoked_at__isnull=True).exists()
    assert set(Session.objects.values_list("revoke_reason", flat=True)) == {"device_flagged"}
    assert not reaches_consent(browser, platform)


def test_a_flagged_devices_tokens_stop_even_if_a_session_was_left_open(wallet) -> None:  # type: ignore[no-untyped-def]
    """The device's status is checked by the token checks themselves, not only by ending its sessions."""
    tokens = wallet.sign_up("flag_direct")
    Passkey.objects.update(status=Passkey.Status.FLAGGED)
    assert_code(wallet.authed("get", "/api/v1/me", token=tokens["access_token"]), 401, "session_revoked")
    refreshed = wallet.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert_code(refreshed, 401, "refresh_token_invalid")


def test_log_out_everywhere_ends_a_browser_session_opened_earlier(wallet, make_platform) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    earlier = wallet.sign_up("everywhere")
    browser = browser_from(earlier)
    assert reaches_consent(browser, platform)

    assert wallet.login().status_code == 200  # the phone again, a new session
    keep = ("sessions_revoke", {"keep_current": True})
    revoked = wallet.authed("post", "/api/v1/sessions/revoke-all", {"keep_current": True}, step_up=keep)
    assert revoked.status_code == 200 and revoked.json()["revoked"] == 1
    assert not reaches_consent(browser, platform)
    assert wallet.authed("get", "/api/v1/me").status_code == 200  # the session that asked stays


def test_revoking_a_device_ends_the_browser_session_it_opened(wallet, make_platform) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    wallet.sign_up("two_browsers")
    laptop = SoftAuthenticator()
    added = wallet.add_device(laptop)
    laptop_wallet = Wallet(client=APIClient(), authenticator=laptop)
    assert laptop_wallet.login().status_code == 200
    laptop_browser = browser_from(laptop_wallet.tokens)
    phone_browser = browser_from(wallet.tokens)

    assert (
        wallet.authed(
            "delete", f"/api/v1/devices/{added['id']}", step_up=("device_revoke", {"device_id": added["id"]})
        ).status_code
        == 200
    )
    assert not reaches_consent(laptop_browser, platform)
    assert reaches_consent(phone_browser, platform)  # only the revoked device's sessions end


def test_a_reused_refresh_token_ends_the_browser_session_of_its_session(wallet, make_platform) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform()
    tokens = wallet.sign_up("reused")
    browser = browser_from(tokens)
    assert wallet.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 200
    reused = wallet.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert_code(reused, 401, "refresh_token_reused")
    assert not reaches_consent(browser, platform)


def test_a_browser_session_tied_to_nothing_does_not_stand(wallet, make_platform) -> None:  # type: ignore[no-untyped-def]
    """A passkey browser session without its identity session (one opened before the tie existed) is ended."""
    from django.contrib.sessions.backends.db import SessionStore

    platform = make_platform()
    tokens = wallet.sign_up("untied")
    browser = browser_from(tokens)
    store = SessionStore(session_key=browser.cookies["sessionid"].value)
    del store["_lykos_identity_session_id"]
    store.save()
    assert not reaches_consent(browser, platform)


def test_a_staff_members_passkey_session_does_not_open_the_admin(wallet) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("staff_with_passkey")
    staff = User.objects.get(username="staff_with_passkey")
    staff.is_staff = True
    staff.is_superuser = True
    staff.set_password("a long staff password 42")
    staff.save()
    browser = browser_from(tokens)

    index = browser.get("/admin/")
    assert index.status_code == 302 and index["Location"].startswith("/admin/login/")
    assert browser.get("/admin/identity/user/").status_code == 302
    login_page = browser.get("/admin/login/")
    assert login_page.status_code == 200 and b'name="password"' in login_page.content

    csrf = browser.cookies["csrftoken"].value
    logged_in = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "staff_with_passkey", "password": "a long staff password 42", "csrfmiddlewaretoken": csrf},
    )
    # The password is not enough either: a staff member who holds a passkey confirms with it.
    assert logged_in.status_code == 302 and logged_in["Location"].startswith("/admin/passkey/"), logged_in
    assert browser.get("/admin/").status_code == 302
    page = browser.get("/admin/passkey/?next=/admin/")
    options = json.loads(re.search(rb'id="passkey-options"[^>]*>(.*?)</script>', page.content, re.S).group(1))
    ceremony_id = re.search(rb'name="ceremony_id" value="([^"]+)"', page.content).group(1).decode()
    answer = {
        "ceremony_id": ceremony_id,
        "credential": json.dumps(wallet.authenticator.get(options)),
        "next": "/admin/",
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
    }
    assert browser.post("/admin/passkey/", answer).status_code == 302
    assert browser.get("/admin/").status_code == 200

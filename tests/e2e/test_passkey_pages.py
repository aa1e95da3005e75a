"""A person signs up and logs in on the real pages, in Chromium, with a (virtual) platform authenticator."""

import pytest
import requests

from apps.identity.models import Passkey, User
from tests.support.browser import add_virtual_authenticator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_sign_up_then_log_in_in_chromium_then_call_the_api(page, live_origin) -> None:  # type: ignore[no-untyped-def]
    add_virtual_authenticator(page)

    page.goto(f"{live_origin}/signup")
    page.fill("#username", "browser_user")
    page.fill("#display_name", "Browser User")
    page.click("#signup-button")
    page.wait_for_selector("#status[data-state='signed-in']", timeout=30000)
    assert "browser_user" in page.text_content("#status")

    user = User.objects.get(username="browser_user")
    passkey = Passkey.objects.get(user=user)
    assert len(bytes(passkey.public_key_x)) == 32  # a real P-256 key from Chromium's authenticator

    # Log in again on the login page, usernameless: the discoverable credential finds the user.
    page.evaluate("sessionStorage.clear()")
    page.goto(f"{live_origin}/login")
    page.click("#login-button")
    page.wait_for_selector("#status[data-state='signed-in']", timeout=30000)
    assert page.evaluate("document.body.dataset.userId") == str(user.id)

    token = page.evaluate("sessionStorage.getItem('lykos.access_token')")
    me = requests.get(f"{live_origin}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200
    assert me.json()["username"] == "browser_user"
    assert Passkey.objects.get(pk=passkey.pk).last_used_at is not None


def test_login_page_reports_a_refusal(page, live_origin) -> None:  # type: ignore[no-untyped-def]
    add_virtual_authenticator(page)  # holds no credential for this site
    page.goto(f"{live_origin}/login")
    page.fill("#username", "nobody_here")
    page.click("#login-button")
    page.wait_for_selector("#status[data-state='error']", timeout=30000)

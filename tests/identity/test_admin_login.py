"""The admin's own login: a password, then, for staff who hold a passkey, that passkey as a second factor
(issue 16, "the browser session never grants admin access"). Staff without a passkey keep the password alone."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from apps.identity.models import User
from lykos.audit.models import AuditEvent
from tests.support.api_wallet import Wallet

pytestmark = pytest.mark.django_db
PASSWORD = "an admin password that is long"


def staff_with_passkey(wallet: Wallet, username: str) -> User:
    wallet.sign_up(username)
    staff = User.objects.get(username=username)
    staff.is_staff = staff.is_superuser = True
    staff.set_password(PASSWORD)
    staff.save()
    return staff


def password_login(client: Client, username: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD, "next": "/admin/"})


def passkey_page(client: Client) -> tuple[str, dict]:
    page = client.get("/admin/passkey/?next=/admin/")
    assert page.status_code == 200, page.content[:300]
    options = json.loads(re.search(rb'id="passkey-options"[^>]*>(.*?)</script>', page.content, re.S).group(1))
    ceremony_id = re.search(rb'name="ceremony_id" value="([^"]+)"', page.content).group(1).decode()
    return ceremony_id, options


def test_a_staff_member_with_a_passkey_needs_it_after_the_password(wallet) -> None:  # type: ignore[no-untyped-def]
    staff = staff_with_passkey(wallet, "two_factor_staff")
    client = Client()
    logged_in = password_login(client, "two_factor_staff")
    assert logged_in.status_code == 302 and logged_in["Location"].startswith("/admin/passkey/")
    assert client.get("/admin/").status_code == 302  # the password alone does not open the admin
    assert client.get("/admin/identity/user/").status_code == 302

    ceremony_id, options = passkey_page(client)
    credential = wallet.authenticator.get(options)
    answered = client.post(
        "/admin/passkey/", {"ceremony_id": ceremony_id, "credential": json.dumps(credential), "next": "/admin/"}
    )
    assert answered.status_code == 302 and answered["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(event_type="admin.second_factor", actor_id=str(staff.pk)).exists()

    # The ceremony was single-use: replaying the answer in another browser opens nothing.
    other = Client()
    password_login(other, "two_factor_staff")
    replayed = other.post("/admin/passkey/", {"ceremony_id": ceremony_id, "credential": json.dumps(credential)})
    assert replayed.status_code == 400
    assert other.get("/admin/").status_code == 302


def test_another_persons_passkey_does_not_confirm_the_login(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    staff_with_passkey(wallet, "careful_staff")
    stranger = make_wallet()
    stranger.sign_up("stranger_with_a_passkey")
    client = Client()
    password_login(client, "careful_staff")
    ceremony_id, options = passkey_page(client)
    foreign = stranger.authenticator.get({**options, "allowCredentials": []})
    refused = client.post("/admin/passkey/", {"ceremony_id": ceremony_id, "credential": json.dumps(foreign)})
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 302
    junk = client.post("/admin/passkey/", {"ceremony_id": "nope", "credential": "{not json"})
    assert junk.status_code == 400


def test_staff_without_a_passkey_log_in_with_the_password_alone() -> None:
    User.objects.create_superuser("password_only_staff", PASSWORD)
    client = Client()
    logged_in = password_login(client, "password_only_staff")
    assert logged_in.status_code == 302 and logged_in["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/passkey/").status_code == 302  # nothing to confirm


def test_a_flagged_passkey_cannot_confirm_and_keeps_the_admin_closed(wallet) -> None:  # type: ignore[no-untyped-def]
    """A staff member whose only passkey is flagged has no usable second factor: the admin stays closed."""
    from apps.identity.models import Passkey

    staff_with_passkey(wallet, "flagged_staff")
    client = Client()
    password_login(client, "flagged_staff")
    ceremony_id, options = passkey_page(client)
    Passkey.objects.update(status=Passkey.Status.FLAGGED)
    answer = wallet.authenticator.get(options)
    refused = client.post("/admin/passkey/", {"ceremony_id": ceremony_id, "credential": json.dumps(answer)})
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 302

"""Adding a passkey alerts every verified channel of the owner (Django outbox, the test SMS gateway), naming the
new device, when it was added, from what user agent and approximately where (a bundled IP table, no lookup)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from apps.social_profile.adapters import sms
from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_values
from lykos.geo import approximate_location
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db(transaction=True)  # alerts go out once the add commits

UK_ADDRESS = "81.2.69.160"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture(autouse=True)
def _empty_outboxes():  # type: ignore[no-untyped-def]
    sms.outbox.clear()
    mail.outbox.clear()
    yield
    sms.outbox.clear()


def verify_channel(wallet, kind: str, value: str) -> None:  # type: ignore[no-untyped-def]
    started = wallet.authed(
        "post", f"/api/v1/verification/{kind}", {kind: value}, step_up=("channel_change", {kind: value})
    )
    assert started.status_code == 201, started.content
    text = mail.outbox[-1].body if kind == "email" else sms.outbox[-1].body
    code = re.search(r"(\d{6})", text).group(1)  # type: ignore[union-attr]
    body = {"challenge_id": started.json()["challenge_id"], "code": code}
    assert wallet.authed("post", "/api/v1/verification/confirm", body).status_code == 200


def test_a_new_passkey_is_announced_on_every_verified_channel(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("alerted")
    verify_channel(wallet, "email", "owner@example.com")
    verify_channel(wallet, "phone", "+14155550142")
    mail.outbox.clear()
    sms.outbox.clear()

    device = wallet.add_device(SoftAuthenticator(), name="Work laptop", HTTP_USER_AGENT=AGENT, REMOTE_ADDR=UK_ADDRESS)

    [email] = mail.outbox
    assert email.to == ["owner@example.com"]
    assert '"Work laptop"' in email.body and AGENT in email.body and "United Kingdom" in email.body
    assert device["created_at"][:10] in email.body  # when it was added
    [text] = sms.outbox
    assert text.to == "+14155550142"
    assert "Work laptop" in text.body and "United Kingdom" in text.body
    event = AuditEvent.objects.get(event_type="alert.new_device_sent")
    _, values = audit_values(event)  # sealed under the user's key (lykos.audit.services)
    assert values is not None and sorted(values["channels"]) == ["email", "phone"]


def test_only_verified_channels_hear_of_it(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("unverified")
    started = wallet.authed(
        "post",
        "/api/v1/verification/email",
        {"email": "pending@example.com"},
        step_up=("channel_change", {"email": "pending@example.com"}),
    )
    assert started.status_code == 201
    mail.outbox.clear()
    wallet.add_device(SoftAuthenticator(), REMOTE_ADDR="10.1.2.3")
    assert mail.outbox == [] and sms.outbox == []


def test_the_location_comes_from_the_bundled_table() -> None:
    assert approximate_location(UK_ADDRESS) == "United Kingdom"
    assert approximate_location("10.1.2.3") == "a private network"
    assert approximate_location(None) == approximate_location("not an address") == "an unknown location"

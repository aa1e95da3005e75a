"""Email, phone and identity verification: hashed single-use codes with expiry and attempt limits, badges,
rate limits on every OTP endpoint, and an SMS provider reached over real HTTP."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from apps.social_profile.adapters import sms
from apps.social_profile.adapters.sms import HttpSmsSender, SmsError
from apps.social_profile.models import Badge, ContactChannel, IdentityReview, MediaAsset, VerificationCode
from apps.social_profile.services import verification as verification_services
from lykos.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)  # codes are sent on commit


@pytest.fixture(autouse=True)
def _empty_outbox():  # type: ignore[no-untyped-def]
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def roomy_otp_limit(settings):  # type: ignore[no-untyped-def]
    """Attempt-limit tests make more calls than the per-minute OTP rate allows; that limit has its own test."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "otp": "100/m"}


def start(wallet, kind: str, value: str):  # type: ignore[no-untyped-def]
    """Start verifying a channel as the app does: a `channel_change` step-up for exactly this value first."""
    return wallet.authed(
        "post", f"/api/v1/verification/{kind}", {kind: value}, step_up=("channel_change", {kind: value})
    )


def code_from_mail() -> tuple[str, str]:
    body = mail.outbox[-1].body
    return re.search(r"code is (\d{6})", body).group(1), re.search(r"verify-email#(\S+)", body).group(1)


def test_email_code_verifies_the_address_and_yields_a_badge(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("mailer")
    started = start(wallet, "email", " Ada@Example.COM ")
    assert started.status_code == 201, started.content
    assert mail.outbox[-1].to == ["ada@example.com"]
    code, _ = code_from_mail()

    confirmed = wallet.authed(
        "post", "/api/v1/verification/confirm", {"challenge_id": started.json()["challenge_id"], "code": code}
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["type"] == "email" and confirmed.json()["method"] == "email_code"
    assert confirmed.json()["expires_at"]
    badges = wallet.authed("get", "/api/v1/badges").json()
    assert [b["type"] for b in badges] == ["email"]
    channel = ContactChannel.objects.get(kind="email")
    assert channel.verified_at is not None and channel.value == "ada@example.com"
    assert AuditEvent.objects.filter(event_type="badge.granted").exists()

    # Single use: the same code again is refused.
    again = wallet.authed(
        "post", "/api/v1/verification/confirm", {"challenge_id": started.json()["challenge_id"], "code": code}
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "verification_invalid"


def test_email_link_verifies_without_a_session(wallet, client) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("linker")
    start(wallet, "email", "link@example.com")
    _, token = code_from_mail()
    response = client.post("/api/v1/verification/email/link", {"token": token}, content_type="application/json")
    assert response.status_code == 200 and response.json()["method"] == "email_link"
    again = client.post("/api/v1/verification/email/link", {"token": token}, content_type="application/json")
    assert again.status_code == 400


def test_codes_are_hashed_and_expire(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("expiring")
    started = start(wallet, "phone", "+44 20 7946 0958").json()
    code = re.search(r"(\d{6})", sms.outbox[-1].body).group(1)
    assert sms.outbox[-1].to == "+442079460958"
    row = VerificationCode.objects.get(pk=started["challenge_id"])
    assert code not in row.code_hash
    VerificationCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = wallet.authed("post", "/api/v1/verification/confirm", {"challenge_id": row.pk, "code": code})
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "verification_invalid"


def test_wrong_codes_are_limited_per_challenge(wallet, settings, roomy_otp_limit) -> None:  # type: ignore[no-untyped-def]
    settings.VERIFICATION_MAX_ATTEMPTS = 3
    wallet.sign_up("guesser")
    started = start(wallet, "phone", "+14155550123").json()
    code = re.search(r"(\d{6})", sms.outbox[-1].body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (2, 1, 0):
        response = wallet.authed(
            "post", "/api/v1/verification/confirm", {"challenge_id": started["challenge_id"], "code": wrong}
        )
        assert response.status_code == 400 and response.json()["error"]["details"]["attempts_left"] == left
    # Even the right code is refused once the attempts are spent.
    exhausted = wallet.authed(
        "post", "/api/v1/verification/confirm", {"challenge_id": started["challenge_id"], "code": code}
    )
    assert exhausted.status_code == 422 and exhausted.json()["error"]["code"] == "verification_attempts_exhausted"
    assert not Badge.objects.exists()


def test_otp_endpoints_are_rate_limited(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("spammer")
    statuses = [start(wallet, "phone", f"+1415555{i:04d}").status_code for i in range(6)]
    assert statuses[:5] == [201] * 5 and statuses[5] == 429


def test_another_users_challenge_is_not_found_and_a_verified_address_cannot_be_claimed(
    make_wallet, roomy_otp_limit
) -> None:  # type: ignore[no-untyped-def]
    owner, other = make_wallet(), make_wallet()
    owner.sign_up("owner_one")
    other.sign_up("other_one")
    started = start(owner, "email", "mine@example.com").json()
    code, _ = code_from_mail()
    stolen = other.authed(
        "post", "/api/v1/verification/confirm", {"challenge_id": started["challenge_id"], "code": code}
    )
    assert stolen.status_code == 400
    confirmed = owner.authed(
        "post", "/api/v1/verification/confirm", {"challenge_id": started["challenge_id"], "code": code}
    )
    assert confirmed.status_code == 200
    taken = start(other, "email", "MINE@example.com")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "channel_taken"


def test_an_identity_review_approved_in_the_admin_grants_the_identity_badge(wallet, admin_client, admin_user) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("documented")
    from apps.identity.models import User

    user = User.objects.get(username="documented")
    document = MediaAsset.objects.create(
        owner=user,
        kind="document",
        status="clean",
        declared_content_type="application/pdf",
        incoming_key=f"incoming/{user.pk}/x",
        stored_key="private/documents/x.bin",
        stored_content_type="application/pdf",
    )
    requested = wallet.authed("post", "/api/v1/verification/identity", {"document_id": str(document.pk)})
    assert requested.status_code == 201
    twice = wallet.authed("post", "/api/v1/verification/identity", {"document_id": str(document.pk)})
    assert twice.status_code == 409

    review = IdentityReview.objects.get()
    response = admin_client.post(
        "/admin/social_profile/identityreview/", {"action": "approve", "_selected_action": [review.pk]}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "approved" and review.reviewer == admin_user
    assert Badge.objects.get(user=user, kind="identity").method == "document_review"
    assert AuditEvent.objects.filter(event_type="identity_review.approved", actor_id=str(admin_user.pk)).exists()

    with pytest.raises(Exception):  # noqa: B017 - a wallet user is not a reviewer
        verification_services.identity_review_decide(reviewer=user, review_id=review.pk, approve=True)


# --- the SMS provider over HTTP --------------------------------------------------------------------------


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 202

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.headers["Authorization"], body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def gateway():  # type: ignore[no-untyped-def]
    _Gateway.received = []
    _Gateway.status = 202
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/messages", _Gateway
    server.shutdown()
    server.server_close()


def test_the_http_sms_sender_posts_to_the_provider_and_types_its_errors(gateway) -> None:  # type: ignore[no-untyped-def]
    url, handler = gateway
    sender = HttpSmsSender(url=url, token="k3y", timeout=2)
    sender.send(to="+14155550123", body="LyKos code: 123456")
    assert handler.received == [("Bearer k3y", {"to": "+14155550123", "body": "LyKos code: 123456"})]
    handler.status = 503
    with pytest.raises(SmsError, match="503"):
        sender.send(to="+14155550123", body="x")
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsSender(url="http://127.0.0.1:9/none", token="k", timeout=1).send(to="+1", body="x")


def test_guesses_at_one_address_are_capped_across_accounts(make_wallet, settings) -> None:  # type: ignore[no-untyped-def]
    """Each account has its own code with its own attempts; together they still get only the destination's
    budget of guesses, and no badge."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "otp": "100/m", "otp_destination": "4/h"}
    victim = "+14155550199"
    statuses = []
    for i in range(3):
        attacker = make_wallet()
        attacker.sign_up(f"guesser_{i}")
        started = start(attacker, "phone", victim).json()
        for guess in ("000000", "111111"):
            response = attacker.authed(
                "post", "/api/v1/verification/confirm", {"challenge_id": started["challenge_id"], "code": guess}
            )
            statuses.append((response.status_code, response.json()["error"]["code"]))
    assert statuses[:4] == [(400, "verification_invalid")] * 4
    assert statuses[4:] == [(429, "rate_limited")] * 2
    assert not Badge.objects.exists()

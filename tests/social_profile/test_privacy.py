"""Privacy: nothing personal in plaintext at rest, an export of everything held about a user (built by a real
worker), and erasure that ends every token and leaves no personal data behind."""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, set_token_value

from apps.identity.models import User
from apps.social_profile.adapters import sms
from apps.social_profile.services import media as media_services
from apps.social_profile.services import platforms as platform_services
from lykos.audit.models import AuditEvent
from tests.support.media import BUCKET

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "grace.hopper@navy.example"
PHONE = "+14155550199"
DOCUMENT_MARKER = b"DOCUMENT-SECRET-Z9Q8"


def raw_dump(*, exclude: tuple[str, ...] = ()) -> str:
    """Every row of every table, as PostgreSQL prints it: what a stolen database backup would show."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table in exclude:
                continue
            cursor.execute(f'SELECT t::text FROM "{table}" t')
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks).lower()


def verify(wallet, kind: str, value: str) -> None:  # type: ignore[no-untyped-def]
    started = wallet.authed(
        "post", f"/api/v1/verification/{kind}", {kind: value}, step_up=("channel_change", {kind: value})
    ).json()
    text = mail.outbox[-1].body if kind == "email" else sms.outbox[-1].body
    code = re.search(r"(\d{6})", text).group(1)
    confirmed = wallet.authed(
        "post", "/api/v1/verification/confirm", {"challenge_id": started["challenge_id"], "code": code}
    )
    assert confirmed.status_code == 200, confirmed.content


def uploaded_document(user: User) -> str:
    asset, _ = media_services.media_upload_begin(user=user, kind="document", content_type="application/pdf")
    media_services.get_media_storage().write(
        asset.incoming_key, b"%PDF-1.4\n" + DOCUMENT_MARKER + b"\n%%EOF", content_type="application/pdf"
    )
    asset.status = "processing"
    asset.save(update_fields=["status"])
    assert media_services.media_process(asset_id=asset.pk).status == "clean"
    return str(asset.pk)


@pytest.fixture
def rich_user(media_settings, make_wallet, make_platform):  # type: ignore[no-untyped-def]
    """A user with data in every part of the app: profile, verified channels, a document, a platform grant,
    a data read, an OAuth token."""
    sms.outbox.clear()
    wallet = make_wallet()
    wallet.sign_up("grace_h")
    wallet.authed("patch", "/api/v1/profile", {"display_name": "Grace Hopper", "bio": "Compiler pioneer"})
    verify(wallet, "email", EMAIL)
    verify(wallet, "phone", PHONE)
    user = User.objects.get(username="grace_h")
    document_id = uploaded_document(user)
    assert wallet.authed("post", "/api/v1/verification/identity", {"document_id": document_id}).status_code == 201
    platform = make_platform()
    platform_services.consent_grant_record(
        user=user, application=platform.application, requested=["openid", "email"], granted=["openid", "email"]
    )
    platform_services.data_access_record(
        user=user, application=platform.application, endpoint="userinfo", scopes=["email", "openid"], fields=["email"]
    )
    access = get_access_token_model()(
        user=user, application=platform.application, expires=timezone.now() + timedelta(hours=1), scope="openid email"
    )
    raw_token = secrets.token_urlsafe(30)
    set_token_value(access, raw_token)
    access.save()
    return wallet, user, raw_token, document_id


def test_a_raw_database_dump_holds_no_plaintext_email_phone_or_document(rich_user, s3_server) -> None:  # type: ignore[no-untyped-def]
    dump = raw_dump()
    assert "grace_h" in dump  # the dump is real: the (public) username is there
    for secret in (EMAIL, EMAIL.split("@")[0], PHONE, PHONE[1:], DOCUMENT_MARKER.decode()):
        assert secret.lower() not in dump, secret
    for key in s3_server.object_keys():
        body = s3_server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert DOCUMENT_MARKER not in body


def _user_models() -> dict[str, list[str]]:
    """Computed here, independently of the exporter: every model with a foreign key to the user."""
    user_model = get_user_model()
    found = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model]
        if names:
            found[model._meta.label_lower] = names
    return found


def wait_ready(wallet, export_id: str, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = wallet.authed("get", f"/api/v1/me/export/{export_id}").json()
        if status["status"] != "pending":
            return status
        time.sleep(0.2)
    raise AssertionError("export not built in time")


def test_the_export_holds_every_model_with_the_users_data_and_downloads_once(
    rich_user, social_worker, make_wallet
) -> None:  # type: ignore[no-untyped-def]
    wallet, user, _, _ = rich_user
    requested = wallet.authed("post", "/api/v1/me/export")
    assert requested.status_code == 202
    export_id = requested.json()["id"]
    assert wait_ready(wallet, export_id)["status"] == "ready"

    stranger = make_wallet()
    stranger.sign_up("nosy")
    export = ("export", {"export_id": export_id})
    assert stranger.authed("get", f"/api/v1/me/export/{export_id}/download", step_up=export).status_code == 404

    download = wallet.authed("get", f"/api/v1/me/export/{export_id}/download", step_up=export)
    assert download.status_code == 200
    archive = json.loads(download.content)
    assert archive["user"]["username"] == "grace_h" and "password" not in archive["user"]

    for label, keys in _user_models().items():
        model = apps.get_model(label)
        held = sum(model._default_manager.filter(**{key: user}).count() for key in keys)
        if held:
            assert label in archive["models"], label
            assert len(archive["models"][label]) >= held, label
    for label in (
        "social_profile.profile",
        "social_profile.contactchannel",
        "social_profile.badge",
        "social_profile.mediaasset",
        "social_profile.consentgrant",
        "social_profile.dataaccesslog",
        "social_profile.identityreview",
        "identity.passkey",
        "identity.session",
        "oauth2_provider.accesstoken",
    ):
        assert archive["models"].get(label), label

    text = download.content.decode()
    assert EMAIL in text and PHONE in text  # the user's own data, decrypted for them
    assert '"token_checksum"' not in text and '"code_hash"' not in text and '"value_index"' not in text

    again = wallet.authed("get", f"/api/v1/me/export/{export_id}/download", step_up=export)
    assert again.status_code == 410 and again.json()["error"]["code"] == "export_gone"


def test_erasure_ends_every_token_and_leaves_no_personal_data(rich_user, client) -> None:  # type: ignore[no-untyped-def]
    wallet, user, oauth_token, _ = rich_user
    assert client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {oauth_token}").status_code == 200
    identity_token = wallet.tokens["access_token"]

    erased = wallet.authed("delete", "/api/v1/me", step_up="erase")
    assert erased.status_code == 200, erased.content
    assert erased.json()["erased"] is True

    assert wallet.authed("get", "/api/v1/me", token=identity_token).status_code == 401
    assert client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {oauth_token}").status_code == 401
    refresh = wallet.post("/api/v1/auth/refresh", {"refresh_token": wallet.tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert wallet.login().status_code == 401  # the passkeys were revoked: the account can never log in again

    personal = ("grace_h", "grace hopper", "compiler pioneer", EMAIL, PHONE, DOCUMENT_MARKER.decode())
    dump = raw_dump(exclude=(AuditEvent._meta.db_table,))
    for value in personal:
        assert value.lower() not in dump, value
    # The append-only audit chain cannot be edited. Our events carry no personal values; identity's sign-up and
    # profile events carry the username and display name (reported to identity's owners).
    leaking = {
        event.event_type
        for event in AuditEvent.objects.all()
        if any(v.lower() in json.dumps([event.old_values, event.new_values]).lower() for v in personal)
    }
    assert leaking <= {"user.registered", "profile.updated"}, leaking
    user.refresh_from_db()
    assert user.username is None and not user.is_active
    # Ledgers stay, pointing at the anonymous row.
    assert user.rewards.exists()

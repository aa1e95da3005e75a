"""Privacy: nothing personal in plaintext at rest, an export of everything held about a user (built by a real
worker), and erasure that ends every token and leaves no personal data behind."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time
from datetime import timedelta

import psycopg
import pytest
from django.apps import apps as django_apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, set_token_value

from apps.identity.models import User
from apps.security import services as security_services
from apps.social_profile.adapters import sms
from apps.social_profile.services import media as media_services
from apps.social_profile.services import platforms as platform_services
from apps.social_profile.services.privacy import export_build
from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_values
from lykos.crypto import ValueShredded, decrypt_bytes, encrypted_fields
from lykos.privacy import Erasure, PersonalData, privacy_declarations, privacy_undeclared
from tests.support.media import BUCKET

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "grace.hopper@navy.example"
PHONE = "+14155550199"
DOCUMENT_MARKER = b"DOCUMENT-SECRET-Z9Q8"
USER_AGENT = "GraceBrowser/7.3 (Cobol)"
IP_ADDRESS = "198.51.100.77"
DEVICE_NAME = "Grace's Univac"
CASE_NOTE = "Grace wired funds to her cousin"
# Everything personal the rich user leaves anywhere; after erasure none of it may be readable in any table.
PERSONAL = (
    "grace_h",
    "Grace Hopper",
    "Compiler pioneer",
    EMAIL,
    PHONE,
    DOCUMENT_MARKER.decode(),
    USER_AGENT,
    IP_ADDRESS,
    DEVICE_NAME,
    CASE_NOTE,
)


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
    wallet.client.defaults.update(HTTP_USER_AGENT=USER_AGENT, REMOTE_ADDR=IP_ADDRESS)
    wallet.sign_up("grace_h")
    wallet.authed("patch", "/api/v1/profile", {"display_name": "Grace Hopper", "bio": "Compiler pioneer"})
    verify(wallet, "email", EMAIL)
    verify(wallet, "phone", PHONE)
    user = User.objects.get(username="grace_h")
    device = user.passkeys.get()
    assert wallet.authed("patch", f"/api/v1/devices/{device.pk}", {"name": DEVICE_NAME}).status_code == 200
    # G0 holds data about the person too: a counterparty, a review case with a reviewer's note, a freeze.
    reviewer = User.objects.create_user(username=f"rev_{secrets.token_hex(3)}", is_staff=True)
    security_services.counterparty_record(user=user, address="0x" + "ab" * 20)
    case = security_services.review_case_open(user=user, reason="manual", opened_by=reviewer, summary=CASE_NOTE)
    security_services.account_freeze(user=user, actor=reviewer, reason=CASE_NOTE, case=case)
    # Staff edited the user in the admin: the admin's history prints the user's name.
    LogEntry.objects.log_actions(
        user_id=reviewer.pk, queryset=[user], action_flag=CHANGE, change_message=f"Renamed {user.display_name}"
    )
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


# --- export ----------------------------------------------------------------------------------------------


def wait_ready(wallet, export_id: str, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = wallet.authed("get", f"/api/v1/me/export/{export_id}").json()
        if status["status"] != "pending":
            return status
        time.sleep(0.2)
    raise AssertionError("export not built in time")


def exported(wallet) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    """Request, build and download an export. Built here by the service the worker's task runs (the worker's
    own path is the test above), so that these tests need no worker."""
    requested = wallet.authed("post", "/api/v1/me/export")
    assert requested.status_code == 202, requested.content
    export_id = requested.json()["id"]
    assert export_build(export_id=export_id).status == "ready"  # type: ignore[union-attr]
    download = wallet.authed(
        "get", f"/api/v1/me/export/{export_id}/download", step_up=("export", {"export_id": export_id})
    )
    assert download.status_code == 200, download.content
    return json.loads(download.content), download.content.decode()


def test_the_export_holds_the_users_own_rows_of_every_declared_model_and_downloads_once(
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

    # Independently of the exporter: every declared model with rows this user owns is in the archive, whole.
    for label, declaration in privacy_declarations().items():
        if not isinstance(declaration, PersonalData) or not declaration.export or declaration.owner in (None, "self"):
            continue
        held = django_apps.get_model(label)._default_manager.filter(**{declaration.owner: user}).count()
        assert len(archive["models"].get(label, [])) == held, label
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
        "security.counterparty",
        "security.reviewcase",
        "lykos.auditevent",
    ):
        assert archive["models"].get(label), label

    text = download.content.decode()
    # The user's own data, decrypted for them, audit values included.
    for value in (EMAIL, PHONE, USER_AGENT, IP_ADDRESS, DEVICE_NAME):
        assert value in text, value
    assert any(
        e["event_type"] == "device.renamed" and e["new_values"] == {"name": DEVICE_NAME}
        for e in archive["models"]["lykos.auditevent"]
    )
    for secret_field in ('"token_checksum"', '"code_hash"', '"value_index"', '"token_hash"', '"public_key_cose"'):
        assert secret_field not in text, secret_field
    # Reviewers are other people: their ids are not in the archive (a case's rows, the audit's actor ids).
    assert '"assignee' not in text and '"opened_by' not in text and '"actor_id' not in text

    again = wallet.authed("get", f"/api/v1/me/export/{export_id}/download", step_up=export)
    assert again.status_code == 410 and again.json()["error"]["code"] == "export_gone"


def test_a_referrers_and_a_reviewers_export_hold_no_other_persons_data(make_wallet) -> None:  # type: ignore[no-untyped-def]
    referrer = make_wallet()
    referrer.sign_up("ada_ref")
    code = referrer.authed("get", "/api/v1/me").json()["referral_code"]
    referee = make_wallet()
    begun = referee.register_options(username="bob_referee", display_name="Bob Referee", referral_code=code)
    credential = referee.authenticator.create(begun["publicKey"])
    verified = referee.post(
        "/api/v1/auth/register/verify",
        {"ceremony_id": begun["ceremony_id"], "credential": credential, "device_name": "Bob's Phone"},
    )
    assert verified.status_code == 201, verified.content
    referee.tokens = verified.json()
    referee.authed("patch", "/api/v1/profile", {"bio": "Bob writes compilers"})
    bob = User.objects.get(username="bob_referee")
    ada = User.objects.get(username="ada_ref")
    assert bob.referred_by == ada and ada.rewards.filter(kind="referral_referrer").exists()

    # Ada is also a fraud reviewer working a case about Bob.
    ada.is_staff = True
    ada.save(update_fields=["is_staff"])
    case = security_services.review_case_open(user=bob, reason="manual", opened_by=ada, summary="Bob looks odd")
    security_services.review_case_assign(case_id=case.pk, assignee=ada, actor=ada)

    archive, text = exported(referrer)
    assert archive["user"]["username"] == "ada_ref"
    for other in ("bob_referee", "Bob Referee", "Bob's Phone", "Bob writes compilers", "Bob looks odd", str(bob.pk)):
        assert other not in text, other
    assert "security.reviewcase" not in archive["models"]
    assert [row["kind"] for row in archive["models"]["identity.rewardentry"]].count("referral_referrer") == 1


def test_exports_are_throttled_per_user(wallet, media_settings, social_worker) -> None:  # type: ignore[no-untyped-def]
    media_settings.RATE_LIMITS = {**media_settings.RATE_LIMITS, "export": "2/h"}
    wallet.sign_up("exporter")
    accepted = [wallet.authed("post", "/api/v1/me/export") for _ in range(2)]
    assert [response.status_code for response in accepted] == [202, 202]
    refused = wallet.authed("post", "/api/v1/me/export")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0
    # The worker is still building both: let it finish before the tables are truncated under it.
    for response in accepted:
        assert wait_ready(wallet, response.json()["id"])["status"] == "ready"


# --- erasure ---------------------------------------------------------------------------------------------


def test_every_table_is_declared_in_the_privacy_registry() -> None:
    """The completeness check: a model (or table) added later without saying whose data it holds and what
    erasure does to it fails here, before it can keep anyone's data past their erasure."""
    assert privacy_undeclared() == []
    declared_tables = {django_apps.get_model(label)._meta.db_table for label in privacy_declarations()}
    tables = set(connection.introspection.table_names()) - {"django_migrations"}
    assert tables - declared_tables == set()


def _pg(*args: str, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    base = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
    return subprocess.run([args[0], *base, *args[1:]], env=env, check=True, capture_output=True, **kwargs)


def _sealed_values(dbname: str, user_id: str) -> list[tuple[str, bytes]]:
    """Every ciphertext of the user in a database, with the associated data it was sealed with."""
    db = connection.settings_dict
    found: list[tuple[str, bytes]] = []
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname=dbname,
    ) as conn:
        for field in encrypted_fields():
            table, column = field.model._meta.db_table, field.column
            for pk, token in conn.execute(
                f'SELECT "{field.model._meta.pk.column}", "{column}" FROM "{table}" WHERE "{column}" LIKE %s',
                [f"lk2${user_id}$%"],
            ):
                found.append((token, f"{table}|{column}|{pk}".encode()))
        for (token,) in conn.execute(
            "SELECT new_values->>'sealed' FROM lykos_auditevent WHERE new_values->>'sealed' LIKE %s",
            [f"lk2${user_id}$%"],
        ):
            found.append((token, b"lykos_auditevent|values"))
    return found


def test_erasure_ends_every_token_and_no_table_keeps_anything_readable(rich_user, client, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet, user, oauth_token, _ = rich_user
    bystander = make_wallet()
    bystander.sign_up("bystander")
    verify(bystander, "email", "bystander@example.org")
    bystander_user = User.objects.get(username="bystander")

    assert client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {oauth_token}").status_code == 200
    identity_token = wallet.tokens["access_token"]
    dump = raw_dump()
    assert all(value.lower() not in dump for value in (EMAIL, PHONE, IP_ADDRESS))  # sealed even before erasure
    # A backup taken before the erasure: the whole database, as pg_dump writes it.
    backup = _pg("pg_dump", "--no-owner", connection.settings_dict["NAME"]).stdout

    erased = wallet.authed("delete", "/api/v1/me", step_up="erase")
    assert erased.status_code == 200, erased.content
    assert erased.json()["erased"] is True

    assert wallet.authed("get", "/api/v1/me", token=identity_token).status_code == 401
    assert client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {oauth_token}").status_code == 401
    refresh = wallet.post("/api/v1/auth/refresh", {"refresh_token": wallet.tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert wallet.login().status_code == 401  # the passkeys were revoked: the account can never log in again

    # Every table, the audit log included, with no exclusions.
    dump = raw_dump()
    for value in PERSONAL:
        assert value.lower() not in dump, value
    # What is still sealed under the user's key cannot be opened any more; the chain is intact.
    still_sealed = _sealed_values(connection.settings_dict["NAME"], str(user.pk))
    assert still_sealed, "the audit log keeps the (now unreadable) sealed values"
    for token, aad in still_sealed:
        with pytest.raises(ValueShredded):
            decrypt_bytes(token, aad=aad)
    assert all(
        audit_values(e) == (None, None)
        for e in AuditEvent.objects.filter(new_values__sealed__startswith=f"lk2${user.pk}$")
    )
    call_command("audit_verify")

    # Every declaration is kept: deleted rows are gone, anonymised fields are blank.
    for label, declaration in privacy_declarations().items():
        if not isinstance(declaration, PersonalData) or declaration.owner is None:
            continue
        model = django_apps.get_model(label)
        owned = model._default_manager.filter(
            **({"pk": user.pk} if declaration.owner == "self" else {declaration.owner: user})
        )
        if declaration.erasure == Erasure.DELETE:
            assert not owned.exists(), label
        for name in declaration.anonymised:
            assert not any(owned.values_list(name, flat=True)), (label, name)

    user.refresh_from_db()
    assert user.username is None and not user.is_active
    assert user.rewards.exists()  # ledgers stay, pointing at the anonymous row

    # The pre-erasure backup, restored into a new database, holds the ciphertexts, but nothing opens them.
    restored = f"{connection.settings_dict['NAME']}_restored"
    _pg("dropdb", "--if-exists", restored)
    _pg("createdb", restored)
    try:
        _pg("psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", restored, input=backup)
        from_backup = _sealed_values(restored, str(user.pk))
        assert len(from_backup) > len(still_sealed)  # contact values, IP addresses... as they were
        for token, aad in from_backup:
            with pytest.raises(ValueShredded):
                decrypt_bytes(token, aad=aad)
        # Not because the backup is broken: the bystander's values in it still open.
        theirs = _sealed_values(restored, str(bystander_user.pk))
        assert theirs and all(decrypt_bytes(token, aad=aad) for token, aad in theirs)
    finally:
        _pg("dropdb", "--if-exists", restored)

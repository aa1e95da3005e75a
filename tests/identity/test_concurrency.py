"""Concurrent logins and refreshes for one user leave consistent sessions: no token is rotated twice."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.identity.models import RefreshToken, Session

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(fn):  # type: ignore[no-untyped-def]
    """Each worker thread uses (and closes) its own database connection, as separate server processes would."""

    def run(*args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def test_twenty_concurrent_logins_and_refreshes(wallet, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1000/m"}  # one IP on purpose: not a limits test
    # A synced passkey reports a flat counter, as iCloud/Google passkeys do; concurrent assertions stay valid.
    first = wallet.sign_up("concurrent", backup_eligible=True)
    prepared = []
    for _ in range(20):
        begun = wallet.login_options()
        prepared.append((begun["ceremony_id"], wallet.authenticator.get(begun["publicKey"], sign_count_step=0)))

    @in_thread
    def login(item):  # type: ignore[no-untyped-def]
        ceremony_id, credential = item
        return APIClient().post(
            "/api/v1/auth/login/verify", {"ceremony_id": ceremony_id, "credential": credential}, format="json"
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        logins = list(pool.map(login, prepared))
    assert [r.status_code for r in logins] == [200] * 20
    session_ids = {r.json()["session_id"] for r in logins}
    assert len(session_ids) == 20
    assert Session.objects.filter(revoked_at__isnull=True).count() == 21
    assert all(Session.objects.get(pk=sid).refresh_tokens.count() == 1 for sid in session_ids)

    # Twenty sessions refreshed at once: each rotates exactly once.
    @in_thread
    def refresh(token):  # type: ignore[no-untyped-def]
        return APIClient().post("/api/v1/auth/refresh", {"refresh_token": token}, format="json")

    with ThreadPoolExecutor(max_workers=20) as pool:
        refreshed = list(pool.map(refresh, [r.json()["refresh_token"] for r in logins]))
    assert [r.status_code for r in refreshed] == [200] * 20
    for sid in session_ids:
        assert RefreshToken.objects.filter(session_id=sid).count() == 2
        assert RefreshToken.objects.filter(session_id=sid, used_at__isnull=True).count() == 1

    # One refresh token presented twenty times at once: one rotation; the rest are reuse, which ends the session.
    with ThreadPoolExecutor(max_workers=20) as pool:
        raced = list(pool.map(refresh, [first["refresh_token"]] * 20))
    statuses = sorted(r.status_code for r in raced)
    assert statuses == [200] + [401] * 19
    assert {r.json()["error"]["code"] for r in raced if r.status_code == 401} <= {
        "refresh_token_reused",
        "refresh_token_invalid",
    }
    assert RefreshToken.objects.filter(session_id=first["session_id"]).count() == 2
    assert Session.objects.get(pk=first["session_id"]).revoked_at is not None
    # The other twenty sessions are untouched by one session's theft signal.
    assert Session.objects.filter(pk__in=session_ids, revoked_at__isnull=True).count() == 20

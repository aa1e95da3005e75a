"""Access tokens, refresh rotation with reuse detection, and revocation that bites at once."""

import base64
import json
import time

import jwt
import pytest

from apps.identity.models import RefreshToken, SecurityEvent, Session
from apps.identity.services import tokens

pytestmark = pytest.mark.django_db


def assert_code(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_access_token_is_es256_with_kid_and_binds_session_and_device(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("nina")
    header = jwt.get_unverified_header(issued["access_token"])
    assert header["alg"] == "ES256" and header["kid"]
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert claims["sub"] == issued["user"]["id"]
    assert claims["sid"] == issued["session_id"]
    assert claims["did"] == issued["device"]["id"]


def _forge(token: str, *, header: dict | None = None, claims: dict | None = None, keep_signature: bool = True) -> str:
    head, body, sig = token.split(".")

    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    def dec(part: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    new_head = enc({**dec(head), **(header or {})}) if header else head
    new_body = enc({**dec(body), **(claims or {})}) if claims else body
    return f"{new_head}.{new_body}.{sig if keep_signature else ''}"


def test_tampered_and_forged_tokens_are_refused(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("oscar")
    other = make_wallet().sign_up("olga")
    me = "/api/v1/me"
    assert_code(
        wallet.authed("get", me, token=_forge(issued["access_token"], claims={"sub": other["user"]["id"]})),
        401,
        "token_invalid",
    )
    assert_code(
        wallet.authed("get", me, token=_forge(issued["access_token"], header={"alg": "none"}, keep_signature=False)),
        401,
        "token_invalid",
    )
    assert_code(
        wallet.authed("get", me, token=_forge(issued["access_token"], header={"alg": "HS256"})), 401, "token_invalid"
    )
    assert_code(
        wallet.authed("get", me, token=_forge(issued["access_token"], header={"kid": "unknown"})), 401, "token_invalid"
    )
    assert_code(wallet.authed("get", me, token="not.a.jwt"), 401, "token_invalid")
    response = wallet.client.get(me, HTTP_AUTHORIZATION="Basic abc")
    assert_code(response, 401, "token_invalid")


def test_unsigned_token_built_by_a_library_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("pia")
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, key=None, algorithm="none")
    assert_code(wallet.authed("get", "/api/v1/me", token=forged), 401, "token_invalid")


def test_expired_access_token_is_refused(wallet, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ACCESS_TOKEN_TTL_SECONDS = 1
    issued = wallet.sign_up("quinn")
    time.sleep(2.1)
    assert_code(wallet.authed("get", "/api/v1/me", token=issued["access_token"]), 401, "token_expired")


def test_signing_key_rotation_keeps_old_tokens_valid(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("rita")
    old_kid = jwt.get_unverified_header(issued["access_token"])["kid"]
    new_kid = tokens.signing_key_rotate()
    assert new_kid != old_kid
    assert wallet.authed("get", "/api/v1/me", token=issued["access_token"]).status_code == 200
    refreshed = wallet.post("/api/v1/auth/refresh", {"refresh_token": issued["refresh_token"]}).json()
    assert jwt.get_unverified_header(refreshed["access_token"])["kid"] == new_kid
    assert wallet.authed("get", "/api/v1/me", token=refreshed["access_token"]).status_code == 200
    assert {k["kid"] for k in tokens.public_jwks()["keys"]} >= {old_kid, new_kid}


def test_refresh_rotates_and_reuse_revokes_the_session(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("sam")
    first_refresh = issued["refresh_token"]
    rotated = wallet.post("/api/v1/auth/refresh", {"refresh_token": first_refresh})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != first_refresh and new["session_id"] == issued["session_id"]
    assert wallet.authed("get", "/api/v1/me", token=new["access_token"]).status_code == 200

    # The old refresh token fails, and presenting it again kills the session...
    assert_code(wallet.post("/api/v1/auth/refresh", {"refresh_token": first_refresh}), 401, "refresh_token_reused")
    assert Session.objects.get(pk=issued["session_id"]).revoke_reason == "refresh_token_reused"
    assert SecurityEvent.objects.filter(kind="refresh_token_reuse").count() == 1
    # ...so the access tokens already issued stop working on the next request, and so does the newest refresh.
    assert_code(wallet.authed("get", "/api/v1/me", token=new["access_token"]), 401, "session_revoked")
    assert_code(wallet.authed("get", "/api/v1/me", token=issued["access_token"]), 401, "session_revoked")
    assert_code(
        wallet.post("/api/v1/auth/refresh", {"refresh_token": new["refresh_token"]}), 401, "refresh_token_invalid"
    )


@pytest.mark.parametrize("token", ["", "lkr_unknown", "garbage", "x" * 300])
def test_unknown_refresh_tokens_are_refused(wallet, token) -> None:  # type: ignore[no-untyped-def]
    response = wallet.post("/api/v1/auth/refresh", {"refresh_token": token})
    assert response.status_code in (400, 401)
    assert response.json()["error"]["code"] in {"refresh_token_invalid", "validation_error"}


def test_expired_refresh_token_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    issued = wallet.sign_up("tess")
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_code(
        wallet.post("/api/v1/auth/refresh", {"refresh_token": issued["refresh_token"]}), 401, "refresh_token_invalid"
    )


def test_revocation_is_checked_in_redis_not_only_in_the_database(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("uma")
    tokens.session_revocation_publish(issued["session_id"])  # e.g. published by another server
    assert_code(wallet.authed("get", "/api/v1/me"), 401, "session_revoked")


def test_sessions_list_and_revoke(wallet) -> None:  # type: ignore[no-untyped-def]
    first = wallet.sign_up("vic")
    second = wallet.login().json()
    listed = wallet.authed("get", "/api/v1/sessions", token=second["access_token"]).json()
    assert {s["id"] for s in listed} == {first["session_id"], second["session_id"]}
    assert [s["current"] for s in listed if s["id"] == second["session_id"]] == [True]

    response = wallet.authed("delete", f"/api/v1/sessions/{first['session_id']}", token=second["access_token"])
    assert response.status_code == 204
    assert_code(wallet.authed("get", "/api/v1/me", token=first["access_token"]), 401, "session_revoked")
    assert wallet.authed("get", "/api/v1/me", token=second["access_token"]).status_code == 200


def test_log_out_everywhere(wallet) -> None:  # type: ignore[no-untyped-def]
    first = wallet.sign_up("wes")
    second = wallet.login().json()
    third = wallet.login().json()
    keep = ("sessions_revoke", {"keep_current": True})
    response = wallet.authed(
        "post", "/api/v1/sessions/revoke-all", {"keep_current": True}, third["access_token"], step_up=keep
    )
    assert response.json() == {"revoked": 2}
    for gone in (first, second):
        assert_code(wallet.authed("get", "/api/v1/me", token=gone["access_token"]), 401, "session_revoked")
    assert wallet.authed("get", "/api/v1/me", token=third["access_token"]).status_code == 200
    everywhere = ("sessions_revoke", {"keep_current": False})
    assert wallet.authed(
        "post", "/api/v1/sessions/revoke-all", {}, third["access_token"], step_up=everywhere
    ).json() == {"revoked": 1}
    assert_code(wallet.authed("get", "/api/v1/me", token=third["access_token"]), 401, "session_revoked")


def test_logout_ends_the_current_session(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("xena")
    assert wallet.authed("post", "/api/v1/auth/logout").status_code == 204
    assert_code(wallet.authed("get", "/api/v1/me"), 401, "session_revoked")


def test_another_users_session_is_not_found(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    victim = make_wallet()
    victim_tokens = victim.sign_up("yara")
    wallet.sign_up("zed")
    assert_code(wallet.authed("delete", f"/api/v1/sessions/{victim_tokens['session_id']}"), 404, "not_found")
    assert victim.authed("get", "/api/v1/me").status_code == 200

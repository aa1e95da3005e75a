"""Full passkey ceremonies through the API: sign-up, usernameless and username login, and the stored key."""

import pytest

from apps.identity.models import Passkey, RefreshToken, Session, User
from lykos.audit.models import AuditEvent
from tests.support.authenticator import b64url

pytestmark = pytest.mark.django_db


def test_sign_up_creates_user_passkey_session_and_tokens(wallet) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("alice")
    user = User.objects.get(username="alice")
    assert tokens["user"]["id"] == str(user.id)
    assert not user.has_usable_password()

    passkey = Passkey.objects.get(user=user)
    cred = next(iter(wallet.authenticator.credentials.values()))
    x, y = cred.public_xy
    assert bytes(passkey.credential_id) == cred.credential_id
    assert bytes(passkey.public_key_x) == x.to_bytes(32, "big")
    assert bytes(passkey.public_key_y) == y.to_bytes(32, "big")
    assert passkey.name == "Phone" and passkey.transports == ["internal", "hybrid"]
    assert passkey.aaguid == "00000000-0000-0000-0000-000000000000"
    assert tokens["device"]["credential_id"] == b64url(cred.credential_id)

    session = Session.objects.get(user=user)
    assert str(session.id) == tokens["session_id"] and session.device == passkey
    assert RefreshToken.objects.filter(session=session).count() == 1
    assert tokens["refresh_token"] not in str(list(RefreshToken.objects.values_list("token_hash", flat=True)))
    assert set(AuditEvent.objects.values_list("event_type", flat=True)) >= {
        "user.registered",
        "device.added",
        "session.created",
    }

    me = wallet.authed("get", "/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_user_handle_is_the_user_id(wallet) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up()
    cred = next(iter(wallet.authenticator.credentials.values()))
    assert cred.user_handle.hex() == tokens["user"]["id"].replace("-", "")


def test_usernameless_login_finds_the_user_from_the_discoverable_credential(wallet) -> None:  # type: ignore[no-untyped-def]
    signup = wallet.sign_up("bob")
    options = wallet.login_options()
    assert options["publicKey"]["allowCredentials"] == []
    assert options["publicKey"]["userVerification"] == "required"
    response = wallet.login()
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == signup["user"]["id"]
    assert response.json()["session_id"] != signup["session_id"]


def test_username_login_lists_the_users_credentials(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("carol")
    options = wallet.login_options("Carol")
    cred_id = next(iter(wallet.authenticator.credentials))
    assert [c["id"] for c in options["publicKey"]["allowCredentials"]] == [b64url(cred_id)]
    assert wallet.login("carol").status_code == 200


def test_unknown_username_gets_plausible_options(wallet) -> None:  # type: ignore[no-untyped-def]
    first = wallet.login_options("nobody_here")["publicKey"]["allowCredentials"]
    second = wallet.login_options("nobody_here")["publicKey"]["allowCredentials"]
    assert len(first) == 1 and first == second


def test_sign_count_is_stored_after_login(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("dave")
    wallet.login(sign_count_step=5)
    assert Passkey.objects.get().sign_count == 5
    assert Passkey.objects.get().last_used_at is not None


def test_only_p256_options_are_offered(wallet) -> None:  # type: ignore[no-untyped-def]
    options = wallet.register_options()["publicKey"]
    assert options["pubKeyCredParams"] == [{"type": "public-key", "alg": -7}]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"

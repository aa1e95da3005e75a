"""Every bad ceremony gets its own code and leaves no user, device or session behind."""

import json

import pytest

from apps.identity.models import Passkey, Session, User
from tests.support.authenticator import SoftAuthenticator, b64url, b64url_decode

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Passkey.objects.count(), Session.objects.count()


def register_with(wallet, credential_fn, ceremony_id=None):  # type: ignore[no-untyped-def]
    begun = wallet.register_options()
    credential = credential_fn(begun["publicKey"])
    return wallet.post(
        "/api/v1/auth/register/verify", {"ceremony_id": ceremony_id or begun["ceremony_id"], "credential": credential}
    )


def assert_refused(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda a, o: a.create(o, origin="https://evil.example"), 400, "origin_mismatch"),
        (lambda a, o: a.create(o, rp_id="evil.example"), 400, "rp_id_mismatch"),
        (lambda a, o: a.create(o, alg="EdDSA"), 400, "unsupported_algorithm"),
        (lambda a, o: a.create(o, alg="RS256"), 400, "unsupported_algorithm"),
        (lambda a, o: a.create({**o, "challenge": b64url(b"x" * 32)}), 400, "challenge_mismatch"),
    ],
    ids=["wrong-origin", "wrong-rp-id", "eddsa", "rs256", "other-challenge"],
)
def test_registration_refusals(wallet, make, status, code) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    assert_refused(register_with(wallet, lambda o: make(wallet.authenticator, o)), status, code)
    assert counts() == before


def test_registration_without_user_verification_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.authenticator.user_verification = False
    assert_refused(register_with(wallet, wallet.authenticator.create), 400, "user_verification_required")
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("cut", [10, 40, 80], ids=["short", "half", "most"])
def test_truncated_attestation_is_refused(wallet, cut) -> None:  # type: ignore[no-untyped-def]
    def truncated(options):  # type: ignore[no-untyped-def]
        credential = wallet.authenticator.create(options)
        raw = b64url_decode(credential["response"]["attestationObject"])
        credential["response"]["attestationObject"] = b64url(raw[: len(raw) * cut // 100])
        return credential

    assert_refused(register_with(wallet, truncated), 400, "malformed_credential")
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "credential",
    [{}, {"id": "x"}, {"id": "AA", "rawId": "AA", "type": "public-key", "response": {}}, "not-an-object", []],
    ids=["empty", "id-only", "no-response", "string", "list"],
)
def test_malformed_credential_json_is_refused(wallet, credential) -> None:  # type: ignore[no-untyped-def]
    begun = wallet.register_options()
    response = wallet.post(
        "/api/v1/auth/register/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"malformed_credential", "validation_error"}
    assert counts() == (0, 0, 0)


def test_reused_challenge_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    begun = wallet.register_options()
    first = wallet.authenticator.create(begun["publicKey"])
    assert (
        wallet.post(
            "/api/v1/auth/register/verify", {"ceremony_id": begun["ceremony_id"], "credential": first}
        ).status_code
        == 201
    )
    second = SoftAuthenticator().create(begun["publicKey"])
    response = wallet.post("/api/v1/auth/register/verify", {"ceremony_id": begun["ceremony_id"], "credential": second})
    assert_refused(response, 400, "challenge_invalid")
    assert User.objects.count() == 1


def test_expired_challenge_is_refused(wallet, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBAUTHN_CHALLENGE_TTL_SECONDS = 1
    begun = wallet.register_options()
    import time

    time.sleep(2.1)
    credential = wallet.authenticator.create(begun["publicKey"])
    response = wallet.post(
        "/api/v1/auth/register/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential}
    )
    assert_refused(response, 400, "challenge_invalid")
    assert counts() == (0, 0, 0)


def test_challenge_of_another_ceremony_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("erin")
    login = wallet.login_options()
    credential = SoftAuthenticator().create(
        {**wallet.register_options()["publicKey"], "challenge": login["publicKey"]["challenge"]}
    )
    response = wallet.post(
        "/api/v1/auth/register/verify", {"ceremony_id": login["ceremony_id"], "credential": credential}
    )
    assert_refused(response, 400, "challenge_invalid")


def test_duplicate_credential_id_is_refused(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("frank")
    existing_id = next(iter(wallet.authenticator.credentials))
    other = make_wallet()
    begun = other.register_options(username="frank2")
    credential = other.authenticator.create(begun["publicKey"], credential_id=existing_id)
    response = other.post(
        "/api/v1/auth/register/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential}
    )
    assert_refused(response, 409, "credential_exists")
    assert counts() == (1, 1, 1)


def test_username_taken_is_refused_at_options_and_at_verify(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    first, second = make_wallet(), make_wallet()
    begun_first = first.register_options(username="grace")
    begun_second = second.register_options(username="Grace")
    first_cred = first.authenticator.create(begun_first["publicKey"])
    assert (
        first.post(
            "/api/v1/auth/register/verify", {"ceremony_id": begun_first["ceremony_id"], "credential": first_cred}
        ).status_code
        == 201
    )
    second_cred = second.authenticator.create(begun_second["publicKey"])
    response = second.post(
        "/api/v1/auth/register/verify", {"ceremony_id": begun_second["ceremony_id"], "credential": second_cred}
    )
    assert_refused(response, 409, "username_taken")
    assert_refused(second.post("/api/v1/auth/register/options", {"username": "GRACE"}), 409, "username_taken")
    assert counts() == (1, 1, 1)


@pytest.mark.parametrize("name", ["ab", "1abc", "a b c", "émile", "x" * 40, "a-b-c", " alice", "\u212aelvin"])
def test_bad_usernames_are_refused(wallet, name) -> None:  # type: ignore[no-untyped-def]
    response = wallet.post("/api/v1/auth/register/options", {"username": name})
    assert_refused(response, 400, "validation_error")


@pytest.mark.parametrize("name", ["admin", "ADMIN", "Support"])
def test_reserved_usernames_are_taken(wallet, name) -> None:  # type: ignore[no-untyped-def]
    """Well-formed (the schema's pattern admits them), so not a validation error: taken, by us."""
    response = wallet.post("/api/v1/auth/register/options", {"username": name})
    assert_refused(response, 409, "username_taken")


# --- login refusals ----------------------------------------------------------------------------------


def login_with(wallet, tamper=None, **get_kwargs):  # type: ignore[no-untyped-def]
    begun = wallet.login_options()
    credential = wallet.authenticator.get(begun["publicKey"], **get_kwargs)
    if tamper:
        tamper(credential)
    return wallet.post("/api/v1/auth/login/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential})


def test_login_refusals_each_have_their_code(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("heidi")
    sessions = Session.objects.count()
    assert_refused(login_with(wallet, origin="https://evil.example"), 400, "origin_mismatch")
    assert_refused(login_with(wallet, rp_id="evil.example"), 400, "rp_id_mismatch")

    def flip_signature(credential):  # type: ignore[no-untyped-def]
        sig = bytearray(b64url_decode(credential["response"]["signature"]))
        sig[-1] ^= 1
        credential["response"]["signature"] = b64url(bytes(sig))

    assert_refused(login_with(wallet, flip_signature), 400, "invalid_signature")

    def truncate(credential):  # type: ignore[no-untyped-def]
        credential["response"]["authenticatorData"] = credential["response"]["authenticatorData"][:20]

    assert_refused(login_with(wallet, truncate), 400, "malformed_credential")

    def other_user_handle(credential):  # type: ignore[no-untyped-def]
        credential["response"]["userHandle"] = b64url(b"\x01" * 16)

    assert_refused(login_with(wallet, other_user_handle), 400, "user_handle_mismatch")

    def registration_type(credential):  # type: ignore[no-untyped-def]
        data = json.loads(b64url_decode(credential["response"]["clientDataJSON"]))
        data["type"] = "webauthn.create"
        credential["response"]["clientDataJSON"] = b64url(json.dumps(data).encode())

    assert_refused(login_with(wallet, registration_type), 400, "wrong_ceremony")
    wallet.authenticator.user_verification = False
    assert_refused(login_with(wallet), 400, "user_verification_required")
    assert Session.objects.count() == sessions


def test_unknown_credential_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("ivan")
    stranger = SoftAuthenticator()
    stranger.create(wallet.register_options()["publicKey"])  # a credential the server never saw
    begun = wallet.login_options()
    credential = stranger.get(begun["publicKey"])
    response = wallet.post("/api/v1/auth/login/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential})
    assert_refused(response, 401, "unknown_credential")


def test_challenge_for_another_users_username_is_refused(wallet, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("judy")
    mallory = make_wallet()
    mallory.sign_up("mallory")
    begun = mallory.login_options("judy")  # a challenge issued for judy
    credential = mallory.authenticator.get({**begun["publicKey"], "allowCredentials": []})
    response = mallory.post(
        "/api/v1/auth/login/verify", {"ceremony_id": begun["ceremony_id"], "credential": credential}
    )
    assert_refused(response, 400, "challenge_mismatch")


def test_reused_login_challenge_is_refused(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("ken")
    begun = wallet.login_options()
    credential = wallet.authenticator.get(begun["publicKey"])
    body = {"ceremony_id": begun["ceremony_id"], "credential": credential}
    assert wallet.post("/api/v1/auth/login/verify", body).status_code == 200
    assert_refused(wallet.post("/api/v1/auth/login/verify", body), 400, "challenge_invalid")


def test_sign_count_regression_on_a_device_bound_key_flags_it(wallet) -> None:  # type: ignore[no-untyped-def]
    from apps.identity.models import SecurityEvent
    from lykos.audit.models import AuditEvent

    wallet.sign_up("leo")
    assert wallet.login(sign_count_step=10).status_code == 200
    cred = next(iter(wallet.authenticator.credentials.values()))
    cred.sign_count = 3  # a clone with an older counter
    sessions = Session.objects.count()
    assert_refused(wallet.login(sign_count_step=1), 401, "possible_cloned_authenticator")
    passkey = Passkey.objects.get()
    assert passkey.status == Passkey.Status.FLAGGED
    assert SecurityEvent.objects.filter(kind="possible_clone", device=passkey).count() == 1
    assert AuditEvent.objects.filter(event_type="device.flagged", subject_id=str(passkey.id)).exists()
    assert Session.objects.count() == sessions
    # Even the genuine authenticator is locked out until a reviewer clears the flag.
    cred.sign_count = 100
    assert_refused(wallet.login(), 401, "device_flagged")


def test_synced_passkey_may_report_a_flat_counter(wallet) -> None:  # type: ignore[no-untyped-def]
    wallet.sign_up("mia", backup_eligible=True)
    assert Passkey.objects.get().backup_eligible
    assert wallet.login(sign_count_step=0).status_code == 200
    assert wallet.login(sign_count_step=0).status_code == 200
    assert Passkey.objects.get().status == Passkey.Status.ACTIVE

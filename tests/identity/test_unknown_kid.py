"""A token naming a signing key we do not have is cheap to send and must stay cheap to refuse: no round trip to
the secrets provider per request (the kid is negative-cached and the ring re-read only for an announced
rotation), a budget of refused tokens per IP checked before parsing, and pruning that keeps the newest keys."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings

from apps.identity.services import tokens
from lykos.keyring import Keyring, kid_created_order
from lykos.secrets import get_secrets_provider

pytestmark = pytest.mark.django_db

PROVIDER_READS = ("read_secret", "get_or_create_secret", "create_secret_if_absent", "write_secret")


@pytest.fixture
def provider_calls(monkeypatch) -> Counter[str]:  # type: ignore[no-untyped-def]
    """Every call to the real secrets provider (OpenBao), counted; the calls themselves still go through."""
    provider = get_secrets_provider()
    calls: Counter[str] = Counter()

    def counting(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return method(*args, **kwargs)

        return call

    for name in PROVIDER_READS:
        monkeypatch.setattr(provider, name, counting(name, getattr(provider, name)))
    return calls


def _forged(claims: dict[str, Any], kid: str) -> str:
    return jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid})


def test_a_thousand_random_kids_cause_no_secrets_provider_call_after_the_first(
    wallet, provider_calls, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**django_settings.RATE_LIMITS, "token_invalid": "5000/m"}  # let every one be parsed
    # The ring's periodic refresh (once a minute, whatever the traffic) is not what is measured here, and a slow
    # machine can take longer than a minute for the loop: only calls caused by the requests are counted.
    monkeypatch.setattr(tokens._keyring, "_ttl", 3600)
    issued = wallet.sign_up("kid_guesser")
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    provider_calls.clear()
    after_first = None
    for attempt in range(1000):
        response = wallet.authed("get", "/api/v1/me", token=_forged(claims, secrets.token_hex(8)))
        assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"
        if attempt == 0:
            after_first = sum(provider_calls.values())
    assert after_first is not None and after_first <= 1
    assert sum(provider_calls.values()) == after_first, provider_calls
    # The real token still works, with no provider call either.
    assert wallet.authed("get", "/api/v1/me", token=issued["access_token"]).status_code == 200
    assert sum(provider_calls.values()) == after_first


def test_a_rotation_in_another_process_is_found_at_once(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("rotated_elsewhere")
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    unknown = _forged(claims, "20260101000000000000-deadbeef")
    assert wallet.authed("get", "/api/v1/me", token=unknown).status_code == 401  # remembered as unknown now

    # Another process (its own Keyring object, own cache) rotates and announces the new kid.
    elsewhere = Keyring(
        secret_name=tokens.KEYRING_SECRET, new_private_key=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    new_kid = elsewhere.rotate()
    ring = elsewhere.load()
    signed = jwt.encode(claims, ring[new_kid], algorithm="ES256", headers={"kid": new_kid})
    assert wallet.authed("get", "/api/v1/me", token=signed).status_code == 200


def test_refused_tokens_per_ip_are_throttled_before_parsing(wallet, provider_calls) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("junk_sender")
    limit = int(django_settings.RATE_LIMITS["token_invalid"].split("/")[0])
    for _ in range(limit):
        assert wallet.authed("get", "/api/v1/me", token="junk." + secrets.token_hex(4)).status_code == 401
    throttled = wallet.authed("get", "/api/v1/me", token="junk.more")
    assert throttled.status_code == 429 and throttled.json()["error"]["code"] == "rate_limited"
    assert int(throttled["Retry-After"]) >= 1
    # Spent for this IP: even a good token waits (the throttle runs before the token is read).
    assert wallet.authed("get", "/api/v1/me", token=issued["access_token"]).status_code == 429


def test_pruning_keeps_the_newest_keys_even_several_rotations_a_day() -> None:
    ring = Keyring(
        secret_name=f"test-ring-{secrets.token_hex(4)}", new_private_key=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    made = [ring.rotate(keep=2) for _ in range(4)]
    kept = {kid for kid in ring.load(force=True) if kid != "current"}
    assert kept == set(made[-2:])
    # Order is by creation time: a same-day kid of the old day-only format sorts before today's new ones,
    # whatever its random part says, and new kids sort by their full time stamp.
    today = time.strftime("%Y%m%d", time.gmtime())
    assert sorted([made[1], f"{today}-ffffffff", made[0]], key=kid_created_order) == [
        f"{today}-ffffffff",
        made[0],
        made[1],
    ]

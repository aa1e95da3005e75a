"""A revocation is committed whatever Redis does, then published to Redis after commit, with retries: when Redis
is down at that moment a Celery task publishes it once Redis is back. Meanwhile the session row refuses tokens."""

from __future__ import annotations

import pytest

from apps.identity.models import Session, User
from apps.identity.services import session_revoke_all, tokens
from lykos.settings.base import redis_cache
from tests.support.servers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_REDIS = redis_cache("redis://127.0.0.1:1/0", key_prefix="dead")


def test_a_revocation_commits_while_redis_is_down_and_is_published_once_it_is_back(
    wallet, settings, celery_worker
) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("revoked_offline")
    user = User.objects.get(username="revoked_offline")
    live = settings.CACHES
    settings.CACHES = {"default": DEAD_REDIS}
    assert session_revoke_all(user=user) == 1  # used to raise 503 and roll the revocation back
    settings.CACHES = live

    session = Session.objects.get(pk=issued["session_id"])
    assert session.revoked_at is not None and session.revoke_reason == "logout_everywhere"
    # Not in Redis yet (every attempt at commit failed), but the row already refuses the token.
    assert not tokens.session_revocation_cached(session.id)
    refused = wallet.authed("get", "/api/v1/me", token=issued["access_token"])
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "session_revoked"
    # The retry task, in the real worker, publishes it.
    wait_for(lambda: tokens.session_revocation_cached(session.id), timeout=60, what="the revocation in Redis")


def test_a_revocation_is_published_at_commit_when_redis_is_up(wallet) -> None:  # type: ignore[no-untyped-def]
    issued = wallet.sign_up("revoked_online")
    user = User.objects.get(username="revoked_online")
    assert session_revoke_all(user=user) == 1
    assert tokens.session_revocation_cached(issued["session_id"])

"""Platforms (OAuth applications): consent, revocation, audited data reads, metering and rate limits."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_id_token_model, get_refresh_token_model
from prometheus_client import Counter

from apps.identity.selectors import session_authentication, session_with_device
from apps.social_profile.audit import SocialProfileAuditEvent
from apps.social_profile.errors import PlatformNotFound
from apps.social_profile.models import (
    AuthorizationAuthentication,
    ConsentGrant,
    DataAccessLog,
    PlatformRules,
    PlatformUsage,
)
from lykos.audit.services import audit_record
from lykos.ratelimit import ratelimit_hit

if TYPE_CHECKING:
    from apps.identity.models import User

PLATFORM_CALLS = Counter(
    "lykos_platform_calls_total", "OAuth/OIDC calls by platform and endpoint", ["client_id", "endpoint"]
)


def _scope_list(scopes: str | Iterable[str]) -> list[str]:
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    return sorted(set(items))


# --- consent --------------------------------------------------------------------------------------------


def consent_remembered_scopes(*, user: User, application: Any, requested: Iterable[str]) -> list[str] | None:
    """The scopes to grant without asking, or None when the user must see the consent page.

    A remembered grant covers a request that asks for nothing beyond what the platform asked before; what the
    user unticked then stays unticked.
    """
    grant = ConsentGrant.objects.filter(user=user, application=application, revoked_at__isnull=True).first()
    if grant is None:
        return None
    requested_set = set(requested)
    if not requested_set <= set(grant.requested_scopes.split()):
        return None  # the platform asks for more than it did: ask the user again
    return sorted(requested_set & set(grant.granted_scopes.split()))


@transaction.atomic
def consent_grant_record(
    *, user: User, application: Any, requested: Iterable[str], granted: Iterable[str]
) -> ConsentGrant:
    requested_list, granted_list = _scope_list(requested), _scope_list(granted)
    grant = ConsentGrant.objects.select_for_update().filter(user=user, application=application).first()
    old = None
    now = timezone.now()
    if grant is None:
        try:
            with transaction.atomic():
                grant = ConsentGrant.objects.create(
                    user=user,
                    application=application,
                    requested_scopes=" ".join(requested_list),
                    granted_scopes=" ".join(granted_list),
                )
        except IntegrityError:  # a concurrent consent for the same platform
            grant = ConsentGrant.objects.select_for_update().get(user=user, application=application)
    if grant.revoked_at is not None or grant.granted_scopes != " ".join(granted_list):
        old = {"granted_scopes": grant.granted_scopes.split(), "revoked": grant.revoked_at is not None}
    grant.requested_scopes = " ".join(requested_list)
    grant.granted_scopes = " ".join(granted_list)
    grant.revoked_at = None
    grant.updated_at = now
    grant.save()
    audit_record(
        event_type=SocialProfileAuditEvent.OAUTH_CONSENT_GRANTED,
        actor=user,
        subject=grant,
        old_values=old,
        new_values={"client_id": application.client_id, "requested": requested_list, "granted": granted_list},
    )
    return grant


@transaction.atomic
def platform_revoke(*, user: User, client_id: str) -> None:
    """The user withdraws a platform's access: the grant ends and every token and code of it dies now."""
    grant = (
        ConsentGrant.objects.select_for_update()
        .select_related("application")
        .filter(user=user, application__client_id=client_id, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise PlatformNotFound()
    application = grant.application
    counts = _tokens_delete(user=user, application=application)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit_record(
        event_type=SocialProfileAuditEvent.OAUTH_PLATFORM_REVOKED,
        actor=user,
        subject=grant,
        old_values={"granted_scopes": grant.granted_scopes.split()},
        new_values={"client_id": client_id, **counts},
    )


def _tokens_delete(*, user: User, application: Any | None = None) -> dict[str, int]:
    """Delete the user's OAuth tokens (of one platform, or all). Token checks read the database, so a deleted
    token is refused on its very next use."""
    filters: dict[str, Any] = {"user": user}
    if application is not None:
        filters["application"] = application
    refresh_model = get_refresh_token_model()
    refresh = refresh_model.objects.filter(**filters, revoked__isnull=True).update(revoked=timezone.now())
    access = get_access_token_model().objects.filter(**filters).delete()[0]
    id_tokens = get_id_token_model().objects.filter(**filters).delete()[0]
    codes = get_grant_model().objects.filter(**filters).delete()[0]
    AuthorizationAuthentication.objects.filter(**filters).delete()
    return {"access_tokens": access, "refresh_tokens": refresh, "id_tokens": id_tokens, "codes": codes}


def oauth_tokens_delete_all(*, user: User) -> dict[str, int]:
    """Every platform's tokens of a user, e.g. at erasure. Call inside the caller's transaction."""
    counts = _tokens_delete(user=user)
    get_refresh_token_model().objects.filter(user=user).delete()
    return counts


# --- data reads, metering, limits -------------------------------------------------------------------------


def data_access_record(*, user: User, application: Any, endpoint: str, scopes: list[str], fields: list[str]) -> None:
    """Call inside the transaction that reads the data (see the OAuth validator)."""
    now = timezone.now()
    DataAccessLog.objects.create(
        user=user,
        application=application,
        client_id=application.client_id,
        endpoint=endpoint,
        scopes=" ".join(scopes),
        fields=fields,
        created_at=now,
    )
    ConsentGrant.objects.filter(user=user, application=application).update(last_read_at=now)
    audit_record(
        event_type=SocialProfileAuditEvent.OAUTH_DATA_READ,
        actor=application.client_id,
        actor_type="platform",
        subject=user,
        new_values={"endpoint": endpoint, "scopes": scopes, "fields": fields},
    )


def platform_call_record(*, application: Any, endpoint: str) -> None:
    """Meter one call: a per-day row for the admin and a Prometheus counter for dashboards."""
    PLATFORM_CALLS.labels(client_id=application.client_id, endpoint=endpoint).inc()
    today = timezone.now().date()
    updated = PlatformUsage.objects.filter(application=application, endpoint=endpoint, day=today).update(
        calls=F("calls") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                PlatformUsage.objects.create(application=application, endpoint=endpoint, day=today, calls=1)
        except IntegrityError:  # created concurrently
            PlatformUsage.objects.filter(application=application, endpoint=endpoint, day=today).update(
                calls=F("calls") + 1
            )


def platform_ratelimit_hit(*, application: Any) -> None:
    """Raise RateLimited once the platform spent its window's budget (its own rate, or the default)."""
    rules = PlatformRules.objects.filter(application=application).only("rate_limit").first()
    rate = rules.rate_limit if rules is not None and rules.rate_limit else None
    ratelimit_hit(scope="platform", key=f"platform:{application.client_id}", rate=rate)


# --- browser session for the authorize page ----------------------------------------------------------------


def browser_session_opened(*, user: User, identity_session_id: uuid.UUID) -> None:
    audit_record(
        event_type=SocialProfileAuditEvent.OAUTH_BROWSER_SESSION_OPENED,
        actor=user,
        subject=user,
        new_values={"from_session": str(identity_session_id)},
    )


# --- how the user authenticated, for the id_token (amr, auth_time) ------------------------------------------


def authorization_code_checksum(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def authorization_authentication_record(
    *, user: User, application: Any, code: str, identity_session_id: uuid.UUID | None
) -> AuthorizationAuthentication:
    """Remember how the user authenticated for the code just issued (see AuthorizationAuthentication).

    The identity session behind the browser session says it (`session_authentication`); without one that is
    the user's and alive (a staff member's own Django login), `amr` stays empty and `auth_time` is the user's
    last login, which is what the toolkit would claim.
    """
    session = session_with_device(session_id=identity_session_id)
    if session is not None and session.user_id == user.pk and session.revoked_at is None:
        authentication = session_authentication(session=session)
        amr, auth_time = authentication.amr, authentication.auth_time
    else:
        amr, auth_time = [], user.last_login or timezone.now()
    return AuthorizationAuthentication.objects.create(
        user=user,
        application=application,
        code_checksum=authorization_code_checksum(code),
        amr=amr,
        auth_time=auth_time,
    )


def authorization_authentication_link(*, code: str, token_family: uuid.UUID | None) -> None:
    """The code was exchanged: later id_tokens of its refresh-token family carry the same authentication."""
    if token_family is not None:
        AuthorizationAuthentication.objects.filter(code_checksum=authorization_code_checksum(code)).update(
            token_family=token_family
        )

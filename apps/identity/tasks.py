"""Celery tasks of identity: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from lykos.errors import DependencyUnavailable


@shared_task(
    acks_late=True,
    autoretry_for=(DependencyUnavailable,),
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=12,
    soft_time_limit=30,
    time_limit=45,
)
def publish_session_revocations_task(session_ids: list[str]) -> int:
    """Publish revocations that could not be published at commit (Redis was down). Publishing twice is harmless."""
    from apps.identity.services.tokens import session_revocation_publish

    for session_id in session_ids:
        session_revocation_publish(session_id)
    return len(session_ids)

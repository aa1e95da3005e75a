"""Chain tasks: thin, idempotent, retried only on transient chain errors."""

from celery import Task, shared_task

from apps.chain.errors import ChainUnavailable


@shared_task(bind=True, acks_late=True, autoretry_for=(ChainUnavailable,), retry_backoff=5, max_retries=12)
def sync_accounts_task(self: Task[[str], int], user_id: str) -> int:
    from apps.chain.services import accounts_sync
    from apps.identity.selectors import user_get

    user = user_get(user_id=user_id)
    return 0 if user is None else len(accounts_sync(user=user))

"""Celery tasks of the social profile: thin, idempotent wrappers over services."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.conf import settings

from apps.social_profile.adapters.clamav import ScannerUnavailable
from apps.social_profile.adapters.storage import StorageError
from lykos.secrets import SecretsUnavailable

TRANSIENT = (ScannerUnavailable, StorageError, SecretsUnavailable)


def enqueue(task_name: str, *args: str) -> None:
    """Send a task to the app's queue (SOCIAL_PROFILE_TASK_QUEUE, or Celery's default)."""
    task = globals()[task_name]
    task.apply_async(args=list(args), queue=settings.SOCIAL_PROFILE_TASK_QUEUE or None)


@shared_task(
    acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5, soft_time_limit=120, time_limit=150
)
def process_media_task(asset_id: str) -> str:
    from apps.social_profile.services.media import media_process

    asset = media_process(asset_id=uuid.UUID(asset_id))
    return asset.status if asset is not None else "missing"


@shared_task(
    acks_late=True,
    autoretry_for=(SecretsUnavailable,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=300,
    time_limit=360,
)
def build_export_task(export_id: str) -> str:
    from apps.social_profile.services.privacy import export_build

    export = export_build(export_id=export_id)
    return export.status if export is not None else "missing"

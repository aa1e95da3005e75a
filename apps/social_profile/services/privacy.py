"""Privacy rights: an export of everything held about a user, and erasure."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from apps.social_profile.audit import SocialProfileAuditEvent
from apps.social_profile.errors import ExportGone, ExportNotReady
from apps.social_profile.models import (
    Badge,
    ConsentGrant,
    ContactChannel,
    DataAccessLog,
    DataExport,
    IdentityReview,
    Profile,
)
from apps.social_profile.services.media import media_delete_all
from apps.social_profile.services.platforms import oauth_tokens_delete_all
from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_record
from lykos.crypto import DecryptionError
from lykos.errors import NotFound

# Secrets and lookup keys are not the user's data: exporting them would only widen what can leak.
SECRET_FIELDS = frozenset(
    {
        "password",
        "token",
        "token_checksum",
        "code",
        "code_hash",
        "code_challenge",
        "link_token_hash",
        "client_secret",
        "value_index",
        "archive",
        "nonce",
        "jti",
        "incoming_key",
        "stored_key",
        "device_code",
        "user_code",
    }
)


def _user_relations() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with a foreign key to the user model, and the names of those keys."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is user_model
        ]
        if names:
            found.append((model, names))
    return found


def _row(obj: models.Model) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS or isinstance(field, models.BinaryField):
            continue
        try:
            row[field.attname] = getattr(obj, field.attname)
        except DecryptionError:
            row[field.attname] = None
    return row


def export_archive(*, user: Any) -> dict[str, Any]:
    """Everything held about the user, by model label. Models are found from their keys to the user, so a
    model added by any app later is exported without changing this function."""
    user_model = get_user_model()
    archive: dict[str, Any] = {
        "format": "lykos-export/1",
        "generated_at": timezone.now(),
        "user": _row(user_model.objects.get(pk=user.pk)),
        "models": {},
    }
    for model, names in _user_relations():
        query = Q()
        for name in names:
            query |= Q(**{name: user})
        archive["models"][model._meta.label_lower] = [_row(obj) for obj in model._default_manager.filter(query)]
    archive["models"][AuditEvent._meta.label_lower] = [
        _row(event) for event in AuditEvent.objects.filter(Q(actor_id=str(user.pk)) | Q(subject_id=str(user.pk)))
    ]
    return archive


def export_request(*, user: Any) -> DataExport:
    from apps.social_profile.tasks import enqueue

    with transaction.atomic():
        export = DataExport.objects.create(user=user)
        audit_record(
            event_type=SocialProfileAuditEvent.PRIVACY_EXPORT_REQUESTED, actor=user, subject=export, new_values={}
        )
        transaction.on_commit(lambda: enqueue("build_export_task", str(export.pk)))
    return export


@transaction.atomic
def export_build(*, export_id: uuid.UUID | str) -> DataExport:
    export = DataExport.objects.select_for_update().select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return export  # type: ignore[return-value]
    export.archive = json.dumps(export_archive(user=export.user), cls=DjangoJSONEncoder, sort_keys=True)
    export.status = DataExport.Status.READY
    export.ready_at = timezone.now()
    export.save(update_fields=["archive", "status", "ready_at"])
    return export


@transaction.atomic
def export_download(*, user: Any, export_id: uuid.UUID) -> str:
    """The archive, once: it is cleared as it is handed over."""
    export = DataExport.objects.select_for_update().filter(user=user, pk=export_id).first()
    if export is None:
        raise NotFound("No such export.")
    if export.status == DataExport.Status.PENDING:
        raise ExportNotReady()
    if export.status != DataExport.Status.READY:
        raise ExportGone()
    archive = export.archive
    export.archive = None
    export.status = DataExport.Status.DOWNLOADED
    export.downloaded_at = timezone.now()
    export.save(update_fields=["archive", "status", "downloaded_at"])
    audit_record(
        event_type=SocialProfileAuditEvent.PRIVACY_EXPORT_DOWNLOADED, actor=user, subject=export, new_values={}
    )
    return archive


def social_data_erase(*, user: Any) -> dict[str, int]:
    """Identity's erase hook: this app's personal data goes; the audit chain (append-only) names users by id.

    Runs inside identity's `user_erase` transaction, which then anonymises the user row and ends sessions.
    """
    counts = oauth_tokens_delete_all(user=user)
    counts["consents"] = ConsentGrant.objects.filter(user=user).delete()[0]
    counts["data_access_logs"] = DataAccessLog.objects.filter(user=user).delete()[0]
    counts["media"] = media_delete_all(user=user)
    counts["channels"] = ContactChannel.objects.filter(user=user).delete()[0]
    counts["badges"] = Badge.objects.filter(user=user).delete()[0]
    counts["identity_reviews"] = IdentityReview.objects.filter(user=user).delete()[0]
    counts["profiles"] = Profile.objects.filter(user=user).delete()[0]
    counts["exports"] = DataExport.objects.filter(user=user).delete()[0]
    audit_record(
        event_type=SocialProfileAuditEvent.PRIVACY_SOCIAL_DATA_ERASED, actor=user, subject=user, new_values=counts
    )
    return counts

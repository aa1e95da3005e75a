"""Privacy rights: an export of everything held about a user, and erasure."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from apps.social_profile.audit import SocialProfileAuditEvent
from apps.social_profile.errors import ExportGone, ExportNotReady
from apps.social_profile.models import (
    AuthorizationAuthentication,
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
from lykos.audit.services import audit_events_about, audit_record, audit_values
from lykos.errors import NotFound
from lykos.privacy import privacy_export
from lykos.ratelimit import ratelimit_hit

if TYPE_CHECKING:
    from apps.identity.models import User


def export_archive(*, user: User) -> dict[str, Any]:
    """What is held about the user: every app's declared rows that the user owns (lykos.privacy), and the audit
    events about them with their values decrypted. Owned rows only: a referrer's archive has no referee's row, a
    reviewer's no one else's case."""
    user_model = get_user_model()
    models = privacy_export(user=user_model.objects.get(pk=user.pk))
    events = []
    for event in audit_events_about(user_id=str(user.pk)):
        old, new = audit_values(event)
        events.append(
            {
                "created_at": event.created_at,
                "event_type": event.event_type,
                "actor_type": event.actor_type,
                "subject_type": event.subject_type,
                "old_values": old,
                "new_values": new,
            }
        )
    if events:
        models[AuditEvent._meta.label_lower] = events
    user_label = user_model._meta.label_lower
    own_row = models.pop(user_label, [{}])[0]
    return {"format": "lykos-export/2", "generated_at": timezone.now(), "user": own_row, "models": models}


def export_request(*, user: User) -> DataExport:
    """Queue an export. Throttled per user (`RATE_LIMITS["export"]`): each one decrypts everything held about
    the person, which is the expensive and sensitive thing to let anyone repeat."""
    from apps.social_profile.tasks import enqueue

    ratelimit_hit(scope="export", key=f"user:{user.pk}")
    with transaction.atomic():
        export = DataExport.objects.create(user=user)
        audit_record(
            event_type=SocialProfileAuditEvent.PRIVACY_EXPORT_REQUESTED, actor=user, subject=export, new_values={}
        )
        transaction.on_commit(lambda: enqueue("build_export_task", str(export.pk)))
    return export


@transaction.atomic
def export_build(*, export_id: uuid.UUID | str) -> DataExport | None:
    export = DataExport.objects.select_for_update().select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return export
    export.archive = json.dumps(export_archive(user=export.user), cls=DjangoJSONEncoder, sort_keys=True)
    export.status = DataExport.Status.READY
    export.ready_at = timezone.now()
    export.save(update_fields=["archive", "status", "ready_at"])
    return export


@transaction.atomic
def export_download(*, user: User, export_id: uuid.UUID) -> str:
    """The archive, once: it is cleared as it is handed over."""
    export = DataExport.objects.select_for_update().filter(user=user, pk=export_id).first()
    if export is None:
        raise NotFound("No such export.")
    if export.status == DataExport.Status.PENDING:
        raise ExportNotReady()
    if export.status != DataExport.Status.READY or export.archive is None:
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


def social_data_erase(*, user: User) -> dict[str, int]:
    """Identity's erase hook: this app's personal data goes; the audit chain (append-only) names users by id.

    Runs inside identity's `user_erase` transaction, which then anonymises the user row and ends sessions.
    """
    counts = oauth_tokens_delete_all(user=user)
    counts["consents"] = ConsentGrant.objects.filter(user=user).delete()[0]
    counts["authorization_authentications"] = AuthorizationAuthentication.objects.filter(user=user).delete()[0]
    counts["data_access_logs"] = DataAccessLog.objects.filter(user=user).delete()[0]
    counts["media"] = media_delete_all(user=user)
    counts["channels"] = ContactChannel.objects.filter(user=user).delete()[0]
    counts["badges"] = Badge.objects.filter(user=user).delete()[0]
    counts["identity_reviews"] = IdentityReview.objects.filter(user=user).delete()[0]
    counts["profiles"] = Profile.objects.filter(user=user).delete()[0]
    counts["exports"] = DataExport.objects.filter(user=user).delete()[0]
    # The counts name no one: kept in the clear (the user's key is destroyed at the end of the erasure).
    audit_record(
        event_type=SocialProfileAuditEvent.PRIVACY_SOCIAL_DATA_ERASED,
        actor=user,
        subject=user,
        new_values=counts,
        data_subject=None,
    )
    return counts

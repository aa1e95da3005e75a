"""Media: presigned uploads, the checking pipeline, and reads of private documents."""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.social_profile.adapters.clamav import get_scanner
from apps.social_profile.adapters.storage import get_media_storage
from apps.social_profile.audit import SocialProfileAuditEvent
from apps.social_profile.errors import UploadNotAllowed, UploadStateInvalid
from apps.social_profile.models import MediaAsset
from apps.social_profile.services.media_checks import (
    EXTENSIONS,
    IMAGE_FORMATS,
    ImageRejected,
    reencode_image,
    sniff_content_type,
)
from lykos.audit.services import audit_record
from lykos.crypto import decrypt_bytes, encrypt_bytes
from lykos.errors import Forbidden, InvalidRequest, NotFound

if TYPE_CHECKING:
    from apps.identity.models import User

logger = logging.getLogger(__name__)

ALLOWED_TYPES: dict[str, set[str]] = {
    MediaAsset.Kind.AVATAR: set(IMAGE_FORMATS),
    MediaAsset.Kind.HEADER: set(IMAGE_FORMATS),
    MediaAsset.Kind.DOCUMENT: {"application/pdf", "image/png", "image/jpeg"},
}


def media_max_bytes(kind: str) -> int:
    return int(
        settings.MEDIA_MAX_DOCUMENT_BYTES if kind == MediaAsset.Kind.DOCUMENT else settings.MEDIA_MAX_IMAGE_BYTES
    )


def _document_aad(asset: MediaAsset) -> bytes:
    return f"social_profile_media|document|{asset.pk}".encode()


def media_upload_begin(*, user: User, kind: str, content_type: str) -> tuple[MediaAsset, dict[str, Any]]:
    """Reserve an asset and return the presigned POST that may upload exactly it."""
    if kind not in ALLOWED_TYPES or content_type not in ALLOWED_TYPES[kind]:
        raise UploadNotAllowed(details={"allowed": sorted(ALLOWED_TYPES.get(kind, set()))})
    asset_id = uuid.uuid4()
    asset = MediaAsset.objects.create(
        id=asset_id,
        owner=user,
        kind=kind,
        declared_content_type=content_type,
        incoming_key=f"incoming/{user.pk}/{asset_id}",
    )
    upload = get_media_storage().presigned_post(
        key=asset.incoming_key,
        content_type=content_type,
        max_bytes=media_max_bytes(kind),
        expires=settings.MEDIA_UPLOAD_URL_TTL_SECONDS,
    )
    return asset, upload


def media_upload_confirm(*, user: User, asset_id: uuid.UUID) -> MediaAsset:
    """The client says the upload finished: queue the checks (after commit, so the task sees the row)."""
    from apps.social_profile.tasks import enqueue

    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().filter(owner=user, pk=asset_id).first()
        if asset is None:
            raise NotFound("No such upload.")
        if asset.status == MediaAsset.Status.PROCESSING:
            return asset  # a retried confirm
        if asset.status != MediaAsset.Status.AWAITING_UPLOAD:
            raise UploadStateInvalid(details={"status": asset.status})
        asset.status = MediaAsset.Status.PROCESSING
        asset.save(update_fields=["status"])
        transaction.on_commit(lambda: enqueue("process_media_task", str(asset.pk)))
    return asset


def _reject(asset: MediaAsset, reason: str, **details: Any) -> MediaAsset:
    storage = get_media_storage()
    storage.delete(asset.incoming_key)
    asset.status = MediaAsset.Status.REJECTED
    asset.rejection_reason = reason
    asset.processed_at = timezone.now()
    asset.save(update_fields=["status", "rejection_reason", "processed_at"])
    audit_record(
        event_type=SocialProfileAuditEvent.MEDIA_REJECTED,
        actor_type="system",
        subject=asset,
        new_values={"reason": reason, "kind": asset.kind, **details},
    )
    return asset


def media_process(*, asset_id: uuid.UUID) -> MediaAsset | None:
    """Check one uploaded object: size, malware, magic bytes; re-encode images; encrypt documents.

    Idempotent: an asset that is no longer processing is returned as it is. Storage and scanner outages
    raise, so the task retries with the asset still processing.
    """
    storage = get_media_storage()
    # The row lock is held across the storage and scanner calls: files are small (limits above), and it makes a
    # duplicate delivery of the task wait and then see the asset settled instead of processing it twice.
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().filter(pk=asset_id).first()
        if asset is None or asset.status != MediaAsset.Status.PROCESSING:
            return asset
        limit = media_max_bytes(asset.kind)
        head = storage.head(asset.incoming_key)
        if head is None:
            return _reject(asset, "missing")
        if head.size > limit:
            return _reject(asset, "too_large", size=head.size, limit=limit)
        data = storage.read(asset.incoming_key, max_bytes=limit)
        if len(data) > limit:
            return _reject(asset, "too_large", limit=limit)
        scanner = get_scanner()
        if scanner is not None:
            result = scanner.scan(data)
            if not result.clean:
                return _reject(asset, "malware", signature=result.signature)
        detected = sniff_content_type(data)
        if detected != asset.declared_content_type:
            return _reject(asset, "type_mismatch", detected=detected or "unknown")
        if detected in IMAGE_FORMATS:
            try:
                data = reencode_image(data, content_type=detected)
            except ImageRejected:
                return _reject(asset, "unreadable_image")
        if asset.kind == MediaAsset.Kind.DOCUMENT:
            key = f"private/documents/{asset.owner_id}/{asset.pk}.bin"
            storage.write(
                key,
                encrypt_bytes(data, aad=_document_aad(asset), owner=str(asset.owner_id)).encode(),
                content_type="application/octet-stream",
            )
        else:
            key = f"media/{asset.owner_id}/{asset.pk}.{EXTENSIONS[detected]}"
            storage.write(key, data, content_type=detected)
        storage.delete(asset.incoming_key)
        asset.status = MediaAsset.Status.CLEAN
        asset.stored_key = key
        asset.stored_content_type = detected
        asset.size = len(data)
        asset.sha256 = hashlib.sha256(data).hexdigest()
        asset.processed_at = timezone.now()
        asset.save(update_fields=["status", "stored_key", "stored_content_type", "size", "sha256", "processed_at"])
        return asset


def _document_bytes(asset: MediaAsset) -> bytes:
    stored = get_media_storage().read(asset.stored_key, max_bytes=4 * media_max_bytes(asset.kind))
    return decrypt_bytes(stored.decode(), aad=_document_aad(asset))


def media_document_read(*, user: User, asset_id: uuid.UUID) -> tuple[bytes, str]:
    """The owner's own document, decrypted. Anyone else's is 'not found'."""
    asset = MediaAsset.objects.filter(
        owner=user, pk=asset_id, kind=MediaAsset.Kind.DOCUMENT, status=MediaAsset.Status.CLEAN
    ).first()
    if asset is None:
        raise NotFound("No such document.")
    return _document_bytes(asset), asset.stored_content_type


DOCUMENT_PERMISSION = "social_profile.view_identity_document"


@transaction.atomic
def media_document_read_by_staff(
    *, staff: User, asset_id: uuid.UUID, reason: str, review_id: int | None = None
) -> tuple[bytes, str]:
    """A reviewer opens a document in the admin: only with its own permission and a stated reason, both in the
    audit row, so every look at someone's ID can be accounted for."""
    if not (getattr(staff, "is_staff", False) and staff.has_perm(DOCUMENT_PERMISSION)):
        raise Forbidden("Opening identity documents needs the view_identity_document permission.")
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("Say why you open this document.", details={"fields": {"reason": ["required"]}})
    asset = MediaAsset.objects.filter(
        pk=asset_id, kind=MediaAsset.Kind.DOCUMENT, status=MediaAsset.Status.CLEAN
    ).first()
    if asset is None:
        raise NotFound("No such document.")
    audit_record(
        event_type=SocialProfileAuditEvent.MEDIA_DOCUMENT_VIEWED,
        actor=staff,
        subject=asset,
        new_values={"owner": str(asset.owner_id), "review": review_id, "reason": reason[:300]},
    )
    return _document_bytes(asset), asset.stored_content_type


def media_delete_all(*, user: User) -> int:
    """Erasure: remove the user's objects (after commit) and rows. Call inside the caller's transaction."""
    assets = list(MediaAsset.objects.filter(owner=user))
    keys = [key for asset in assets for key in (asset.incoming_key, asset.stored_key) if key]

    def delete_objects() -> None:
        storage = get_media_storage()
        for key in keys:
            try:
                storage.delete(key)
            except Exception:  # a leftover object is logged, not fatal: the key holds no name, only ids
                logger.exception("media object not deleted at erasure")

    transaction.on_commit(delete_objects)
    return MediaAsset.objects.filter(owner=user).delete()[0]

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class MediaAsset(models.Model):
    """One uploaded file. The client uploads straight to storage with a presigned POST; a task checks it.

    Keys: uploads land under `incoming/<user>/<id>`; a clean image is re-encoded to `public/<user>/<id>.<ext>`;
    a verification document is encrypted by us and stored under `private/documents/<user>/<id>.bin`.
    """

    class Kind(models.TextChoices):
        AVATAR = "avatar"
        HEADER = "header"
        DOCUMENT = "document"

    class Status(models.TextChoices):
        AWAITING_UPLOAD = "awaiting_upload"
        PROCESSING = "processing"
        CLEAN = "clean"
        REJECTED = "rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="media_assets")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING_UPLOAD, db_index=True)
    declared_content_type = models.CharField(max_length=64)
    incoming_key = models.CharField(max_length=200, unique=True)
    stored_key = models.CharField(max_length=200, blank=True)
    stored_content_type = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    rejection_reason = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="social_profile_media_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="clean") | ~models.Q(stored_key=""),
                name="social_profile_media_clean_has_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

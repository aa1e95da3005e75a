from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from lykos.crypto import EncryptedTextField


class DataExport(models.Model):
    """A JSON archive of everything held about a user, built by a task and downloadable once."""

    class Status(models.TextChoices):
        PENDING = "pending"
        READY = "ready"
        DOWNLOADED = "downloaded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    archive = EncryptedTextField(null=True, blank=True, owner="user")  # PII: under the owner's key, cleared once read
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.id} ({self.status})"

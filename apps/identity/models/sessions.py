from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from lykos.crypto import EncryptedTextField


class Session(models.Model):
    """One login on one device. Access tokens name it; revoking it ends them at once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="sessions")
    device = models.ForeignKey("identity.Passkey", on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip_address = EncryptedTextField(null=True, blank=True, owner="user")  # personal: under the owner's key
    user_agent = models.CharField(max_length=256, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=64, blank=True)
    # The last user-verified passkey assertion on this session (a step-up), for `auth_time`/`amr`; empty
    # until the first step-up, when the login itself (created_at, device) is the last one.
    authenticated_at = models.DateTimeField(null=True, blank=True)
    authenticated_by = models.ForeignKey(
        "identity.Passkey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"session {self.id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RefreshToken(models.Model):
    """An opaque refresh token, stored as its SHA-256. Each is used once; `parent` is unique, so a token can be
    rotated into at most one successor even when two requests race past the row lock."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    parent = models.OneToOneField("self", null=True, blank=True, on_delete=models.CASCADE, related_name="successor")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.id}"

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Passkey(models.Model):
    """A device's WebAuthn credential. Its P-256 key is also an owner of the user's smart account."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        FLAGGED = "flagged"  # possible clone: refused for login until staff review it
        REVOKED = "revoked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key_cose = models.BinaryField()
    # Raw affine coordinates: what the account contract verifies against.
    public_key_x = models.BinaryField(max_length=32)
    public_key_y = models.BinaryField(max_length=32)
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    backup_eligible = models.BooleanField(default=False)
    backed_up = models.BooleanField(default=False)
    name = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    flagged_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sign_count__gte=0), name="identity_passkey_sign_count_gte_0"),
            models.CheckConstraint(
                condition=~models.Q(status="revoked") | models.Q(revoked_at__isnull=False),
                name="identity_passkey_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or 'passkey'} ({self.status})"

    @property
    def public_key_xy(self) -> tuple[int, int]:
        """The P-256 point as the account contract and its verifier take it: affine x and y as integers."""
        return int.from_bytes(bytes(self.public_key_x), "big"), int.from_bytes(bytes(self.public_key_y), "big")

    @property
    def is_synced(self) -> bool:
        """A multi-device (synced) passkey may legitimately report a counter that does not increase."""
        return self.backup_eligible

    @property
    def amr(self) -> list[str]:
        """RFC 8176 authentication methods of an assertion by this passkey: a device-bound key is hardware-secured
        (`hwk`), a synced one is not (`swk`); every ceremony requires user verification (`user`)."""
        return ["swk" if self.is_synced else "hwk", "user"]

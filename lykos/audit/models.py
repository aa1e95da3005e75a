"""The audit log: append-only, hash-chained so that an edited or deleted row breaks the chain.

A row is written unsealed inside the transaction of the change it describes, and sealed into the chain (`seq`,
`prev_hash`, `entry_hash`) right after that transaction commits. Sealing after commit means no business
transaction ever waits on a chain-wide lock, and the chain's order is the order in which rows became visible.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One security-relevant change. Written through `lykos.audit.services.audit_record` only."""

    class ActorType(models.TextChoices):
        USER = "user"
        STAFF = "staff"
        SYSTEM = "system"
        PLATFORM = "platform"

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.CharField(max_length=64, db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True, db_index=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True, db_index=True)
    old_values = models.JSONField(null=True, blank=True)
    new_values = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Set once, when the row is sealed into the chain after its transaction commits (see audit_seal).
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seq__isnull=True, entry_hash__isnull=True)
                | models.Q(seq__isnull=False, entry_hash__isnull=False),
                name="lykos_audit_sealed_consistently",
            ),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id", "id"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.subject_type}:{self.subject_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")

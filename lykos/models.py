"""Cross-cutting models: the audit log (its own module) and stored answers for idempotent retries."""

from django.db import models

from lykos.audit.models import AuditEvent


class IdempotencyRecord(models.Model):
    """The first answer to a request carrying an `Idempotency-Key`, replayed for retries (lykos.idempotency)."""

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=200)  # user, method and path: keys are per client and endpoint
    key = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="lykos_idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


__all__ = ["AuditEvent", "IdempotencyRecord"]

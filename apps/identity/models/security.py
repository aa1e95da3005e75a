from __future__ import annotations

from django.db import models
from django.utils import timezone


class SecurityEvent(models.Model):
    """Something a fraud reviewer should see (a possible cloned authenticator, refresh-token reuse).

    The security app's review queue reads these; identity only records them.
    """

    class Kind(models.TextChoices):
        POSSIBLE_CLONE = "possible_clone"
        REFRESH_TOKEN_REUSE = "refresh_token_reuse"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="security_events")
    device = models.ForeignKey("identity.Passkey", null=True, blank=True, on_delete=models.SET_NULL)
    session = models.ForeignKey("identity.Session", null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

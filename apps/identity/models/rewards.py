from __future__ import annotations

from django.db import models
from django.utils import timezone


class RewardEntry(models.Model):
    """Append-only points ledger. (user, kind, reference) is unique: replaying an event credits nothing."""

    class Kind(models.TextChoices):
        SIGNUP = "signup"
        SECOND_DEVICE = "second_device"
        REFERRAL_REFERRER = "referral_referrer"
        REFERRAL_REFEREE = "referral_referee"
        FIRST_TRANSACTION = "first_transaction"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="rewards")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    points = models.IntegerField()
    reference = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "reference"], name="identity_reward_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

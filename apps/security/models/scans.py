"""Scans: what was simulated or signed, the verdict the user got, and what they did next."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.chain.model_fields import AddressField


class TransactionSimulation(models.Model):
    """One scan: what was simulated (a transaction, a UserOperation or a signed message), what the node said, and
    the verdict given to the user. The node's answer for (request, block) is cached in Redis; the row is per scan."""

    class Kind(models.TextChoices):
        TRANSACTION = "transaction"
        USER_OPERATION = "user_operation"
        MESSAGE = "message"

    class Status(models.TextChoices):
        SUCCESS = "success"
        REVERTED = "reverted"
        NOT_SIMULATED = "not_simulated"  # messages: nothing executes

    class Action(models.TextChoices):
        NONE = "NONE"
        WARN = "WARN"
        BLOCK = "BLOCK"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="simulations")
    chain = models.ForeignKey("chain.Chain", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account_address = AddressField(blank=True)
    device = models.ForeignKey("identity.Passkey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    backend = models.CharField(max_length=16, blank=True)
    request = models.JSONField(default=dict)
    request_hash = models.CharField(max_length=64, db_index=True)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    from_cache = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices)
    revert_reason = models.CharField(max_length=500, blank=True)
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    # Decoded effects: transfers, approvals, balance deltas of the account, touched addresses.
    result = models.JSONField(default=dict)
    action = models.CharField(max_length=8, choices=Action.choices, db_index=True)
    score = models.PositiveSmallIntegerField()
    warnings = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    rescored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="security_sim_user_created")]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="security_sim_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.action} ({self.score}) {self.id}"


class ScanFeedback(models.Model):
    """What the user did after seeing a verdict: input for review and for the user's counterparty history."""

    class Decision(models.TextChoices):
        PROCEEDED = "proceeded"
        CANCELLED = "cancelled"

    id = models.BigAutoField(primary_key=True)
    simulation = models.ForeignKey(TransactionSimulation, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["simulation"], name="security_feedback_one_per_simulation")]

    def __str__(self) -> str:
        return f"{self.decision} after {self.simulation_id}"

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from apps.chain.model_fields import Bytes32Field, Uint256Field


class Transaction(models.Model):
    """One intent carried as one UserOperation, from prepare to its receipt.

    prepared -> signed -> submitted -> included | failed | dropped; prepared -> expired.
    """

    class Status(models.TextChoices):
        PREPARED = "prepared"
        SIGNED = "signed"
        SUBMITTED = "submitted"
        INCLUDED = "included"
        FAILED = "failed"
        DROPPED = "dropped"
        EXPIRED = "expired"

    TERMINAL = (Status.INCLUDED, Status.FAILED, Status.DROPPED, Status.EXPIRED)

    class Purpose(models.TextChoices):
        USER = "user", "User intent"
        OWNER_ADD = "owner_add", "Add a device as account owner"
        OWNER_REMOVE = "owner_remove", "Remove a device from the account owners"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="transactions")
    chain = models.ForeignKey("chain.Chain", on_delete=models.PROTECT, related_name="transactions")
    account = models.ForeignKey("chain.Account", on_delete=models.PROTECT, related_name="transactions")
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.USER)
    # The device an owner change is about (purpose owner_add / owner_remove).
    subject_device = models.ForeignKey(
        "identity.Passkey", null=True, blank=True, on_delete=models.PROTECT, related_name="owner_changes"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREPARED, db_index=True)
    intent = models.JSONField(help_text="What the client asked for, as validated.")
    calls = models.JSONField(help_text="The calls the account executes: [{to, value, data}].")
    user_op = models.JSONField(help_text="The UserOperation (ERC-7769 JSON); signature set once signed.")
    user_op_hash = Bytes32Field(db_index=True)
    nonce = Uint256Field()
    sponsored = models.BooleanField(default=False)
    policy = models.ForeignKey(
        "paymaster.SponsorshipPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    max_cost_wei = Uint256Field()
    verdict = models.JSONField(default=dict, blank=True, help_text="G0 scan result shown to the user.")
    signed_by = models.ForeignKey(
        "identity.Passkey", null=True, blank=True, on_delete=models.PROTECT, related_name="signed_transactions"
    )
    # Outcome, from the bundler's receipt.
    success = models.BooleanField(null=True)
    revert_reason = models.TextField(blank=True)
    actual_gas_cost_wei = Uint256Field(null=True, blank=True)
    actual_gas_used = Uint256Field(null=True, blank=True)
    tx_hash = Bytes32Field(blank=True)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Not stored: set by transaction_prepare on the row it returns, why policies refused to pay (shown once).
    sponsorship_refusals: list[dict[str, str]]

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "status", "-created_at"]), models.Index(fields=["chain", "status"])]
        constraints = [
            # An expired op may be prepared again identically; any live one is unique.
            models.UniqueConstraint(
                fields=["user_op_hash"], condition=~models.Q(status="expired"), name="paymaster_tx_live_hash_unique"
            ),
            models.CheckConstraint(condition=models.Q(max_cost_wei__gte=0), name="paymaster_tx_max_cost_gte_0"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["signed", "submitted", "included", "failed", "dropped"])
                | models.Q(signed_at__isnull=False),
                name="paymaster_tx_signed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_op_hash} ({self.status})"

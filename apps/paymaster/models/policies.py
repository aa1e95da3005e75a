from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from apps.chain.model_fields import AddressField, Bytes32Field, Uint256Field


class SponsorshipPolicy(models.Model):
    """When we pay gas, modelled on hosted gas managers: budgets and op counts in rolling windows, a per-op cap,
    a time window, sender allow/block lists, a contract + selector allowlist, free ops for new users, and no
    sponsorship for frozen accounts, risky operations or (when asked) right after a device change. The policy row
    is the lock that guards its budget."""

    class Window(models.TextChoices):
        HOUR = "hour"
        DAY = "day"
        WEEK = "week"
        MONTH = "month"

    class Kind(models.TextChoices):
        # What users ask for (transfers, calls) and outside ERC-7677 clients.
        GENERAL = "general", "Users' own operations"
        # Device owner changes the system prepares (removing a revoked passkey on-chain): only policies of this
        # kind pay for them and they pay for nothing else, so no user budget can starve a revocation.
        OWNER_CHANGES = "owner_changes", "Device owner changes (system)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GENERAL, db_index=True)
    enabled = models.BooleanField(default=True)
    priority = models.IntegerField(default=100, help_text="Lower is tried first.")
    chain = models.ForeignKey("chain.Chain", null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: all")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    global_budget_wei = Uint256Field(null=True, blank=True)
    global_window = models.CharField(max_length=8, choices=Window.choices, default=Window.MONTH)
    per_user_budget_wei = Uint256Field(null=True, blank=True)
    per_user_max_ops = models.PositiveIntegerField(null=True, blank=True)
    per_user_window = models.CharField(max_length=8, choices=Window.choices, default=Window.DAY)
    per_op_max_cost_wei = Uint256Field(null=True, blank=True)
    new_user_free_ops = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only a user's first N transactions are sponsored (empty: no limit)."
    )
    allowed_senders = models.JSONField(default=list, blank=True, help_text="Account addresses; empty: any.")
    blocked_senders = models.JSONField(default=list, blank=True)
    allowed_targets = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"0xContract": ["0xa9059cbb", ...] or ["*"]}; empty: any target. Native transfers: "native".',
    )
    deny_frozen_accounts = models.BooleanField(default=True)
    deny_risky_operations = models.BooleanField(default=True, help_text="Refuse WARN verdicts too (BLOCK always).")
    deny_new_device = models.BooleanField(
        default=False,
        help_text="Refuse while a passkey was added to the account recently (SECURITY_NEW_DEVICE_SECONDS), and "
        "payments to first-time recipients after a device change.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "name"]
        verbose_name_plural = "sponsorship policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="paymaster_policy_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SponsorshipLedgerEntry(models.Model):
    """Gas we committed to pay: reserved at prepare (worst case), settled from the receipt, or released."""

    class Status(models.TextChoices):
        RESERVED = "reserved"
        SETTLED = "settled"
        RELEASED = "released"

    id = models.BigAutoField(primary_key=True)
    policy = models.ForeignKey(SponsorshipPolicy, on_delete=models.PROTECT, related_name="ledger")
    user = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sender = AddressField(db_index=True)
    transaction = models.OneToOneField(
        "paymaster.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entry"
    )
    # Operations sponsored through the ERC-7677 API for outside clients are identified by their hash. Unique among
    # live entries only: an op prepared again identically (same block time, so the same paymaster signature) after
    # its first preparation expired has a released entry with the same hash.
    user_op_hash = Bytes32Field(null=True, blank=True, db_index=True)
    api_key = models.ForeignKey("paymaster.PaymasterApiKey", null=True, blank=True, on_delete=models.PROTECT)
    # Where to look for the receipt of an outside client's operation (ours go through `transaction`).
    chain = models.ForeignKey("chain.Chain", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED, db_index=True)
    reserved_wei = Uint256Field()
    settled_wei = Uint256Field(null=True, blank=True)
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["policy", "status", "created_at"]),
            models.Index(fields=["policy", "user", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user_op_hash"],
                condition=~models.Q(status="released"),
                name="paymaster_ledger_live_hash_unique",
            ),
            models.CheckConstraint(condition=models.Q(reserved_wei__gte=0), name="paymaster_ledger_reserved_gte_0"),
            models.CheckConstraint(
                condition=~models.Q(status="settled") | models.Q(settled_wei__isnull=False),
                name="paymaster_ledger_settled_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.reserved_wei} for {self.sender}"


class PaymasterApiKey(models.Model):
    """An integrator's key for the ERC-7677 paymaster API. Stored as its SHA-256; shown once at creation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    policies = models.ManyToManyField(SponsorshipPolicy, related_name="api_keys")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

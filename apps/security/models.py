"""G0 security: simulations with their verdicts, threat and known-address lists, counterparties, account freezes,
and the fraud review queue (cases with a timeline)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


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
    account_address = models.CharField(max_length=42, blank=True)
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


class ThreatListEntry(models.Model):
    """A known-malicious or sanctioned address. `chain` null: the address is bad on every chain."""

    class Category(models.TextChoices):
        DRAINER = "drainer"
        PHISHING = "phishing"
        SCAM = "scam"
        SANCTIONED = "sanctioned"
        ADDRESS_POISONING = "address_poisoning"
        EXPLOIT = "exploit"
        OTHER = "other"

    id = models.BigAutoField(primary_key=True)
    address = models.CharField(max_length=42, db_index=True)  # checksummed
    chain = models.ForeignKey("chain.Chain", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=24, choices=Category.choices)
    source = models.CharField(max_length=64, help_text="Where it came from: a feed name, an analyst, a case id.")
    note = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-added_at"]
        verbose_name_plural = "threat list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["address", "chain"], name="security_threat_unique_address_chain", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.category})"


class KnownAddress(models.Model):
    """A contract we trust as a spender or operator (a marketplace, a router, Permit2): approvals to it are not
    "unknown operator" warnings and first interactions with it are not "new contract" warnings."""

    id = models.BigAutoField(primary_key=True)
    address = models.CharField(max_length=42, db_index=True)
    chain = models.ForeignKey("chain.Chain", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["label"]
        verbose_name_plural = "known addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["address", "chain"], name="security_known_unique_address_chain", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.address})"


class Counterparty(models.Model):
    """An address the user has dealt with (sent to, or saved as a contact): the reference for address poisoning
    and "first interaction" checks."""

    class Source(models.TextChoices):
        TRANSACTION = "transaction"
        CONTACT = "contact"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="counterparties")
    address = models.CharField(max_length=42)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.TRANSACTION)
    interactions = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name_plural = "counterparties"
        constraints = [models.UniqueConstraint(fields=["user", "address"], name="security_counterparty_unique")]

    def __str__(self) -> str:
        return f"{self.address} ({self.source})"


class AccountFreeze(models.Model):
    """While a row with `lifted_at` null exists, the user's account gets no sponsorship and submits nothing."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="freezes")
    case = models.ForeignKey("security.ReviewCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    frozen_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    frozen_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-frozen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(lifted_at__isnull=True), name="security_freeze_one_active_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"freeze of {self.user_id} ({'lifted' if self.lifted_at else 'active'})"


class ReviewCase(models.Model):
    """A fraud reviewer's unit of work, opened by a rule or by hand and closed with a reason (as in Stripe Radar)."""

    class Status(models.TextChoices):
        OPEN = "open"
        APPROVED = "approved"
        REJECTED = "rejected"

    class Priority(models.TextChoices):
        LOW = "low"
        NORMAL = "normal"
        HIGH = "high"
        URGENT = "urgent"

    class OpenReason(models.TextChoices):
        BLOCK_VERDICT = "block_verdict"
        POSSIBLE_CLONE = "possible_clone"
        VELOCITY_SPIKE = "velocity_spike"
        SPONSORSHIP_REFUSALS = "sponsorship_refusals"
        MANUAL = "manual"

    class CloseReason(models.TextChoices):
        LEGITIMATE = "legitimate"  # approved: not fraud
        FRAUDULENT = "fraudulent"  # rejected: confirmed fraud (the account usually stays frozen)
        ACCOUNT_TAKEOVER = "account_takeover"
        POLICY_VIOLATION = "policy_violation"
        DUPLICATE = "duplicate"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="review_cases")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL, db_index=True)
    open_reason = models.CharField(max_length=32, choices=OpenReason.choices, db_index=True)
    close_reason = models.CharField(max_length=32, choices=CloseReason.choices, blank=True)
    assignee = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_review_cases"
    )
    opened_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.CharField(max_length=300, blank=True)
    # Links by id: {"simulations": [...], "devices": [...], "transactions": [...], "security_events": [...]}.
    linked = models.JSONField(default=dict, blank=True)
    simulations = models.ManyToManyField(TransactionSimulation, blank=True, related_name="review_cases")
    devices = models.ManyToManyField("identity.Passkey", blank=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # At most one open case per user and reason: rules re-firing add to the timeline instead.
            models.UniqueConstraint(
                fields=["user", "open_reason"], condition=Q(status="open"), name="security_case_one_open_per_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True, close_reason="")
                | (~Q(status="open") & Q(closed_at__isnull=False) & ~Q(close_reason="")),
                name="security_case_closed_has_reason_and_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}: {self.open_reason} ({self.status})"


class ReviewCaseEvent(models.Model):
    """The case's timeline: what happened, when, by whom."""

    class Kind(models.TextChoices):
        OPENED = "opened"
        LINKED = "linked"
        ASSIGNED = "assigned"
        NOTE = "note"
        FEEDBACK = "feedback"
        APPROVED = "approved"
        REJECTED = "rejected"
        FROZEN = "frozen"
        UNFROZEN = "unfrozen"

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"

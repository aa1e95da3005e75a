"""The fraud review queue: cases with their timeline, and the account freezes a reviewer puts in place."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


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
    simulations = models.ManyToManyField("security.TransactionSimulation", blank=True, related_name="review_cases")
    devices = models.ManyToManyField("identity.Passkey", blank=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opened_at"]
        # What the review admin's actions need (granted to the "Fraud reviewer" group by a data migration);
        # the model's own view permission is enough to read the queue.
        permissions = [
            ("review_case", "Can approve, reject, assign and open review cases"),
            ("freeze_account", "Can freeze and unfreeze accounts"),
        ]
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

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from lykos.crypto import EncryptedTextField


class ContactChannel(models.Model):
    """An email address or phone number of a user: encrypted at rest, found by its blind index only."""

    class Kind(models.TextChoices):
        EMAIL = "email"
        PHONE = "phone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="contact_channels")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = EncryptedTextField(owner="user")  # under the owner's key: erased with it
    value_index = models.CharField(max_length=80, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="social_profile_one_channel_per_kind"),
            # One account per verified address: a second account cannot claim someone's verified email.
            models.UniqueConstraint(
                fields=["kind", "value_index"],
                condition=models.Q(verified_at__isnull=False),
                name="social_profile_verified_channel_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id}"


class VerificationCode(models.Model):
    """A one-time code (and, for email, a link token). Only keyed hashes are stored; single use, expiring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(ContactChannel, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=80)
    link_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attempts__lte=models.F("max_attempts")), name="social_profile_code_attempts_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"code {self.id}"


class Badge(models.Model):
    """A verified fact about a user, shown to platforms with the `badges` scope."""

    class Kind(models.TextChoices):
        EMAIL = "email"
        PHONE = "phone"
        IDENTITY = "identity"

    class Method(models.TextChoices):
        EMAIL_CODE = "email_code"
        EMAIL_LINK = "email_link"
        SMS_OTP = "sms_otp"
        DOCUMENT_REVIEW = "document_review"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="badges")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    method = models.CharField(max_length=24, choices=Method.choices)
    verified_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=models.Q(revoked_at__isnull=True),
                name="social_profile_one_live_badge_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} badge of {self.user_id}"

    @property
    def is_current(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class IdentityReview(models.Model):
    """A staff review of an uploaded identity document; approval yields the identity badge."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="identity_reviews")
    document = models.ForeignKey("social_profile.MediaAsset", on_delete=models.CASCADE, related_name="reviews")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    reviewer = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="identity_reviews_done"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        # Deciding grants a badge; opening the document reads someone's ID: separate permissions, both audited.
        permissions = [
            ("review_identity", "Can approve or reject identity reviews (grants the identity badge)"),
            ("view_identity_document", "Can open identity documents (each opening audited with a reason)"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="social_profile_one_pending_review"
            ),
        ]

    def __str__(self) -> str:
        return f"identity review {self.id} ({self.status})"

"""Each user's smart accounts, one per chain."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from apps.chain.model_fields import AddressField, Uint256Field
from apps.chain.models.chains import Chain


class Account(models.Model):
    """A user's smart account on one chain. Counterfactual until its first operation deploys it."""

    class Kind(models.TextChoices):
        LYKOS_PASSKEY_V1 = "lykos-passkey-v1", "LyKos passkey account v1 (EntryPoint v0.8)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="accounts")
    chain = models.ForeignKey(Chain, on_delete=models.PROTECT, related_name="accounts")
    address = AddressField()
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.LYKOS_PASSKEY_V1)
    # The CREATE2 inputs: the first owner's P-256 key and a salt. Same inputs, same address on every chain.
    initial_owner = models.ForeignKey("identity.Passkey", on_delete=models.PROTECT, related_name="+")
    salt = Uint256Field(default=0)
    deployed = models.BooleanField(default=False)
    deployed_at = models.DateTimeField(null=True, blank=True)
    # Passkey ids whose keys are owners on-chain (as far as we have observed).
    owners = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["chain_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "chain"], name="chain_account_one_per_user_chain"),
            models.UniqueConstraint(fields=["chain", "address"], name="chain_account_unique_address"),
        ]

    def __str__(self) -> str:
        return f"{self.address} on {self.chain_id}"

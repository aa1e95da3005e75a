"""Address lists the risk rules read: threats (malicious or sanctioned), trusted spenders, and the user's own
counterparties."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from apps.chain.model_fields import AddressField


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
    address = AddressField(db_index=True)
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
        # Listing, delisting and trusting addresses change what every scan warns about: one permission for all.
        permissions = [("manage_threat_lists", "Can add, change, activate and deactivate threat-list entries")]
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
    address = AddressField(db_index=True)
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
    address = AddressField()
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

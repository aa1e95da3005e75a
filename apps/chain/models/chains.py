"""The chain registry and the tokens we show balances for on each chain."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from apps.chain.model_fields import AddressField


class Chain(models.Model):
    """An EVM chain we operate on: where its node and bundler are, and our contract addresses there."""

    chain_id = models.PositiveBigIntegerField(primary_key=True)
    name = models.CharField(max_length=64)
    rpc_url = models.URLField(max_length=500)
    bundler_url = models.URLField(max_length=500)
    entry_point = AddressField()
    account_factory = AddressField()
    account_implementation = AddressField(blank=True)
    webauthn_verifier = AddressField(blank=True)
    paymaster = AddressField(blank=True)
    # Whether the node has the P-256 precompile (RIP-7212): verification costs ~30k gas with it, ~280k without.
    p256_precompile = models.BooleanField(default=True)
    native_symbol = models.CharField(max_length=16, default="ETH")
    native_decimals = models.PositiveSmallIntegerField(default=18)
    explorer_url = models.URLField(max_length=500, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["chain_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.chain_id})"


class Token(models.Model):
    """An ERC-20 whose balance we show for accounts on its chain."""

    id = models.BigAutoField(primary_key=True)
    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="tokens")
    address = AddressField()
    symbol = models.CharField(max_length=16)
    decimals = models.PositiveSmallIntegerField()
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["chain_id", "symbol"]
        constraints = [models.UniqueConstraint(fields=["chain", "address"], name="chain_token_unique_address")]

    def __str__(self) -> str:
        return f"{self.symbol} on {self.chain_id}"

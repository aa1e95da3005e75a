"""Paymaster models, one module per concern."""

from apps.paymaster.models.policies import PaymasterApiKey, SponsorshipLedgerEntry, SponsorshipPolicy
from apps.paymaster.models.transactions import Transaction

__all__ = ["PaymasterApiKey", "SponsorshipLedgerEntry", "SponsorshipPolicy", "Transaction"]

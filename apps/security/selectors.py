"""Reads shared by the API and the admin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.chain.models import Account, Chain
from apps.identity.models import Session
from apps.security.models import ReviewCase, TransactionSimulation


def simulation_get(*, user: Any, simulation_id: Any) -> TransactionSimulation | None:
    """The user's own scan; None for anyone else's (the API answers 404, never 403)."""
    return TransactionSimulation.objects.filter(pk=simulation_id, user=user).select_related("chain").first()


def chain_and_account(*, user: Any, chain_id: int) -> tuple[Chain, Account] | None:
    account = Account.objects.select_related("chain").filter(user=user, chain_id=chain_id, chain__enabled=True).first()
    return None if account is None else (account.chain, account)


def session_with_device(*, session_id: Any) -> Session | None:
    return Session.objects.select_related("device").filter(pk=session_id).first()


def review_case_list(*, status: str | None = None) -> QuerySet[ReviewCase]:
    cases = ReviewCase.objects.select_related("user", "assignee")
    return cases.filter(status=status) if status else cases

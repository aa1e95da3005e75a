"""Reads shared by the API and the admin."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.security.models import ReviewCase, TransactionSimulation

if TYPE_CHECKING:
    from apps.identity.models import User


def simulation_get(*, user: User, simulation_id: uuid.UUID | str) -> TransactionSimulation | None:
    """The user's own scan; None for anyone else's (the API answers 404, never 403)."""
    return TransactionSimulation.objects.filter(pk=simulation_id, user=user).select_related("chain").first()


def review_case_list(*, status: str | None = None) -> QuerySet[ReviewCase]:
    cases = ReviewCase.objects.select_related("user", "assignee")
    return cases.filter(status=status) if status else cases

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.paymaster.models import Transaction

if TYPE_CHECKING:
    from apps.identity.models import User


def transaction_list(*, user: User, status: str | None = None, chain_id: int | None = None) -> QuerySet[Transaction]:
    qs = Transaction.objects.filter(user=user).select_related("account", "policy").order_by("-created_at")
    if status:
        qs = qs.filter(status=status)
    if chain_id:
        qs = qs.filter(chain_id=chain_id)
    return qs


def transaction_get(*, user: User, transaction_id: uuid.UUID) -> Transaction | None:
    return transaction_list(user=user).filter(pk=transaction_id).first()

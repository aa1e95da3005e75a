"""The points ledger: sign-up, second device, referrals, first transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.identity.models import RewardEntry, User

RewardKind = RewardEntry.Kind  # the reward kinds other apps credit, without reaching into identity's models


def reward_credit(*, user: User, kind: str, reference: str, points: int | None = None) -> RewardEntry | None:
    """Credit once per (user, kind, reference); a replay returns None and changes nothing."""
    amount = settings.REWARD_POINTS[kind] if points is None else points
    try:
        with transaction.atomic():
            return RewardEntry.objects.create(user=user, kind=kind, points=amount, reference=reference[:128])
    except IntegrityError:
        return None

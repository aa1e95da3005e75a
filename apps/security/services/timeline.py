"""A review case's timeline: every service that touches a case (freezes, reviews, feedback, scans) writes its entry
here, in the transaction of the change it describes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.security.models import ReviewCase, ReviewCaseEvent

if TYPE_CHECKING:
    from apps.identity.models import User


def case_event_add(
    case: ReviewCase | None, *, kind: str, actor: User | None, message: str = "", data: dict[str, Any] | None = None
) -> None:
    """No case, no entry: a freeze or feedback outside any case leaves only its audit row."""
    if case is not None:
        ReviewCaseEvent.objects.create(case=case, kind=kind, actor=actor, message=message[:500], data=data or {})

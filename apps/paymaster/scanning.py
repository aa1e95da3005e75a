"""The transaction flow's door to G0 (apps.security): scan before sponsorship, refuse frozen accounts.

Until the security app is installed this is a pass-through behind the same interface: every operation gets
action NONE, and no account is frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps


@dataclass(frozen=True)
class Verdict:
    action: str = "NONE"
    score: int = 0
    warnings: list[Any] = field(default_factory=list)
    simulation_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "score": self.score,
            "warnings": list(self.warnings),
            "simulation_id": self.simulation_id,
        }


def _security() -> Any:
    if not django_apps.is_installed("apps.security"):
        return None
    from apps.security import services

    return services


def scan(*, user: Any, chain: Any, account: Any, calls: list[Any], user_op: Any) -> Any:
    security = _security()
    if security is None:
        return Verdict()
    return security.scan_user_operation(user=user, chain=chain, account=account, calls=calls, user_op=user_op)


def account_is_frozen(*, user: Any) -> bool:
    security = _security()
    return bool(security and security.account_is_frozen(user=user))


def ensure_not_frozen(*, user: Any) -> None:
    security = _security()
    if security is not None:
        security.ensure_not_frozen(user=user)


def sponsorship_refused(*, user: Any, rule: str | None) -> None:
    """Report a refused sponsorship: repeated refusals open a review case in G0."""
    security = _security()
    if security is not None and rule:
        security.sponsorship_refusal_record(user=user, rule=rule)


def counterparties_record(*, user: Any, addresses: list[str]) -> None:
    """Remember whom a landed operation paid or called: G0's reference for poisoning and first contact."""
    security = _security()
    if security is not None:
        for address in dict.fromkeys(addresses):
            security.counterparty_record(user=user, address=address)

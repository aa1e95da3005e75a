"""The verdict shape every scan returns (transaction, UserOperation, message), and how a score and an action
follow from the warnings. Weights and thresholds are knobs of `apps.security.conf` (WARNING_WEIGHTS, SCORE_*)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apps.security.conf import security_settings

SEVERITY_ORDER = {"CRITICAL": 0, "WARNING": 1, "INFO": 2}


@dataclass(frozen=True)
class Warning:  # the name the transaction flow imports (shadows the builtin inside this module only)
    kind: str
    severity: str  # "CRITICAL" | "WARNING" | "INFO"
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "message": self.message, "evidence": self.evidence}


@dataclass(frozen=True)
class Verdict:
    action: str  # "NONE" | "WARN" | "BLOCK"
    score: int  # 0-100
    warnings: list[Warning]  # sorted by severity
    simulation_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "score": self.score,
            "warnings": [w.as_dict() for w in self.warnings],
            "simulation_id": self.simulation_id,
        }

    @property
    def kinds(self) -> list[str]:
        return [w.kind for w in self.warnings]


def weight_of(kind: str) -> int:
    weights = security_settings.WARNING_WEIGHTS
    return int(weights.get(kind, weights.get("default", 10)))


def sort_warnings(warnings: list[Warning]) -> list[Warning]:
    """CRITICAL first, then WARNING, then INFO; within a severity the heavier kind first; one warning per
    (kind, evidence) so a batch touching the same address twice does not count it twice."""
    unique: dict[tuple[str, str], Warning] = {}
    for w in warnings:
        unique.setdefault((w.kind, repr(sorted(w.evidence.items()))), w)
    return sorted(unique.values(), key=lambda w: (SEVERITY_ORDER[w.severity], -weight_of(w.kind), w.kind))


def verdict_from(warnings: list[Warning], *, simulation_id: str | None) -> Verdict:
    """Score = the weights of the distinct warning kinds, capped at 100. BLOCK at SECURITY_SCORE_BLOCK or above;
    WARN at SECURITY_SCORE_WARN or above, or whenever a WARNING/CRITICAL warning is present; otherwise NONE."""
    ordered = sort_warnings(warnings)
    score = min(100, sum(weight_of(kind) for kind in {w.kind for w in ordered}))
    if score >= security_settings.SCORE_BLOCK:
        action = "BLOCK"
    elif score >= security_settings.SCORE_WARN or any(w.severity != "INFO" for w in ordered):
        action = "WARN"
    else:
        action = "NONE"
    return Verdict(action=action, score=score, warnings=ordered, simulation_id=simulation_id)

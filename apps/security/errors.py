"""Security errors, in the project's one error shape."""

from __future__ import annotations

from lykos.errors import DependencyUnavailable, LykosError


class AccountFrozen(LykosError):
    code = "account_frozen"
    http_status = 403
    default_message = "This account is frozen pending a security review; contact support."


class SimulationUnavailable(DependencyUnavailable):
    code = "simulation_unavailable"
    default_message = "The transaction simulator is unavailable; retry later."

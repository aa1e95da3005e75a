"""Risk rules. Each rule returns warnings with a stable `kind`; the score and the action follow in
`verdicts.verdict_from`. Every threshold is a knob of `apps.security.conf`.

`transactions` scores a simulated call's effects, `messages` a typed-data signature, `actor` who is acting; `lists`
holds the address lists they consult and `context` the chain state they read (batched per scan)."""

from apps.security.risk.actor import actor_warnings, velocity_count
from apps.security.risk.context import RiskContext
from apps.security.risk.lists import counterparty_addresses, known_addresses, threat_matches, threat_warnings
from apps.security.risk.messages import message_kind, message_warnings
from apps.security.risk.transactions import contract_deployed_at, looks_like, simulation_warnings

__all__ = [
    "RiskContext",
    "actor_warnings",
    "contract_deployed_at",
    "counterparty_addresses",
    "known_addresses",
    "looks_like",
    "message_kind",
    "message_warnings",
    "simulation_warnings",
    "threat_matches",
    "threat_warnings",
    "velocity_count",
]

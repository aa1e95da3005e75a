"""The security app's policy knobs: every threshold of the risk rules, the simulator's configuration and what opens
a review case. Each knob is declared once, here, with its type and default, so the app carries its own policy and
the project's settings only hold what an operator changes.

A knob is read when it is used, not at import, so a test's `settings` override applies at once. Its value is the
Django setting of the same name (`SECURITY_SCORE_BLOCK`) when the project defines one, else the environment variable
of that name (the README's configuration table), else the default below.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Generic, TypeVar, overload

from django.conf import settings

T = TypeVar("T")


class Knob(Generic[T]):
    """One knob; its name is the attribute's, prefixed `SECURITY_`."""

    def __init__(self, default: T, parse: Callable[[str], T]) -> None:
        self.default = default
        self.parse = parse
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = f"SECURITY_{name}"

    @overload
    def __get__(self, obj: None, owner: type) -> Knob[T]: ...

    @overload
    def __get__(self, obj: SecuritySettings, owner: type) -> T: ...

    def __get__(self, obj: SecuritySettings | None, owner: type) -> Knob[T] | T:
        if obj is None:
            return self
        if hasattr(settings, self.name):
            value: T = getattr(settings, self.name)
            return value
        raw = os.environ.get(self.name)
        return self.default if raw is None else self.parse(raw)


def _text(raw: str) -> str:
    return raw


DEFAULT_WARNING_WEIGHTS: dict[str, int] = {
    "account_frozen": 100,
    "sanctioned_address": 100,
    "threat_listed_address": 100,
    "balance_drain": 90,
    "nft_order_underpriced": 90,
    "address_poisoning": 80,
    "simulation_reverted": 40,
    "approval_for_all_unknown_operator": 50,
    "approval_to_eoa": 50,
    "permit_to_eoa": 50,
    "unlimited_approval": 30,
    "unlimited_permit": 30,
    "long_lived_permit": 25,
    "large_outflow": 30,
    "velocity": 40,
    "new_contract": 30,
    "value_above_history": 30,
    "unknown_spender": 5,
    "nft_listing": 5,
    "new_device": 10,
    "new_session": 5,
    "new_counterparty_after_device_change": 30,
    "default": 10,
}


def _weights(raw: str) -> dict[str, int]:
    """`kind=weight,kind=weight` over the defaults: an operator retunes a few kinds without restating the table."""
    pairs = (item.split("=", 1) for item in raw.split(",") if item.strip())
    return {**DEFAULT_WARNING_WEIGHTS, **{kind.strip(): int(weight) for kind, weight in pairs}}


class SecuritySettings:
    # Simulation backend: "node" (the chain's own node, debug_traceCall) or "tenderly" (sends transactions to
    # Tenderly, so only on purpose).
    SIMULATION_BACKEND = Knob("node", _text)
    TENDERLY_URL = Knob("https://api.tenderly.co", _text)
    TENDERLY_ACCOUNT = Knob("", _text)
    TENDERLY_PROJECT = Knob("", _text)
    TENDERLY_ACCESS_KEY = Knob("", _text)
    TENDERLY_TIMEOUT_SECONDS = Knob(10.0, float)
    SIMULATION_GAS = Knob(15_000_000, int)
    # Identical requests at the same block are served from Redis for this long.
    SIMULATION_CACHE_SECONDS = Knob(300, int)
    # Share of a balance (0-1) whose leaving counts as a drain (pulled by a third party) or a large outflow (sent).
    DRAIN_SHARE = Knob(0.8, float)
    # An ERC-20 / Permit2 allowance at or above this many base units is "unlimited".
    UNLIMITED_ALLOWANCE = Knob(2**96, int)
    # Signed permits living longer than this are "long-lived".
    PERMIT_MAX_LIFETIME_SECONDS = Knob(30 * 86400, int)
    # A Seaport listing paying the offerer at most this much (wei) is "for nothing".
    NFT_ORDER_MIN_PRICE_WEI = Knob(0, int)
    # Address poisoning: hex characters compared at the start and the end of an address.
    POISONING_PREFIX_CHARS = Knob(4, int)
    POISONING_SUFFIX_CHARS = Knob(4, int)
    # First interaction with a contract younger than this is flagged (0 disables the rule).
    NEW_CONTRACT_SECONDS = Knob(3600, int)
    CONTRACT_AGE_CACHE_SECONDS = Knob(86400, int)
    # Value above history: more than MULTIPLIER x the largest of the last HISTORY_SIZE scans, given MIN_SAMPLES.
    VALUE_HISTORY_MULTIPLIER = Knob(10.0, float)
    VALUE_HISTORY_MIN_SAMPLES = Knob(3, int)
    VALUE_HISTORY_SIZE = Knob(100, int)
    # Velocity: this many operation scans within the window (plus the current one) is a spike (and opens a case).
    VELOCITY_MAX_OPERATIONS = Knob(10, int)
    VELOCITY_WINDOW_SECONDS = Knob(60, int)
    # A passkey added less than this long ago is "new" (`new_device`), and a device added or revoked within it is a
    # device change after which a payment to a first-time recipient warns (`new_counterparty_after_device_change`).
    NEW_DEVICE_SECONDS = Knob(86400, int)
    # A session younger than this is "new" (`new_session`).
    NEW_SESSION_SECONDS = Knob(600, int)
    # Repeated sponsorship refusals open a review case.
    SPONSORSHIP_REFUSALS_MAX = Knob(5, int)
    SPONSORSHIP_REFUSALS_WINDOW_SECONDS = Knob(3600, int)
    # A threat-list import re-scores the scans of the last N days.
    RESCAN_DAYS = Knob(7, int)
    # Verdict: score = sum of the weights of the distinct warning kinds (capped at 100); BLOCK at or above
    # SCORE_BLOCK, WARN at or above SCORE_WARN or when any WARNING/CRITICAL warning is present.
    SCORE_WARN = Knob(30, int)
    SCORE_BLOCK = Knob(80, int)
    WARNING_WEIGHTS = Knob(DEFAULT_WARNING_WEIGHTS, _weights)


security_settings = SecuritySettings()

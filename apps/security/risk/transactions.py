"""Rules over a simulated call's decoded effects (see `analysis.analyse`): threats touched, balances drained,
risky approvals, poisoned lookalike recipients, minutes-old contracts and amounts far above the user's history."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache

from apps.chain.errors import ChainUnavailable
from apps.security.conf import security_settings
from apps.security.models import TransactionSimulation
from apps.security.risk.actor import recent_device_change
from apps.security.risk.context import NATIVE, Asset, RiskContext
from apps.security.risk.lists import counterparty_addresses, known_addresses, threat_warnings
from apps.security.verdicts import Warning


def simulation_warnings(result: dict[str, Any], ctx: RiskContext) -> list[Warning]:
    warnings: list[Warning] = []
    if not result["success"]:
        warnings.append(
            Warning(
                kind="simulation_reverted",
                severity="WARNING",
                message=f"This transaction would fail: {result['revert_reason']}",
                evidence={"revert_reason": result["revert_reason"], "revert_data": result["revert_data"]},
            )
        )
        return warnings
    ctx.prefetch(code_of=_code_reads(result, ctx), balances_of=_balance_reads(result))
    warnings += threat_warnings(result["touched"], chain=ctx.chain)
    warnings += _outflow_warnings(result, ctx)
    warnings += _approval_warnings(result, ctx)
    counterparties = counterparty_addresses(user=ctx.user)
    warnings += _poisoning_warnings(result, ctx, counterparties)
    warnings += _new_counterparty_warnings(result, ctx, counterparties)
    warnings += _new_contract_warnings(result, ctx, counterparties)
    warnings += _history_warnings(result, ctx)
    return warnings


def _code_reads(result: dict[str, Any], ctx: RiskContext) -> set[str]:
    """Addresses whose code a rule below may ask about: approved spenders, and (when the new-contract rule is on)
    the contracts the account calls. A few more than needed cost nothing in a batch; a missing one costs a trip."""
    spenders = {a["spender"] for a in result["approvals"] if a["owner"] == ctx.account}
    targets = set(result["call_targets"]) if security_settings.NEW_CONTRACT_SECONDS > 0 else set()
    return (spenders | targets) - ctx.infrastructure


def _balance_reads(result: dict[str, Any]) -> set[Asset]:
    """The fungible assets leaving the account, whose balance before the call sizes the outflow."""
    return {
        (delta["standard"], delta["token"])
        for delta in result["balance_deltas"]
        if int(delta["amount"]) < 0 and delta["standard"] in (NATIVE, "erc20")
    }


def _outflow_warnings(result: dict[str, Any], ctx: RiskContext) -> list[Warning]:
    """Most of a balance leaving: `balance_drain` when a third party pulls it (transferFrom after an approval),
    `large_outflow` when the account sends it itself (a "send max" can be legitimate; a pull rarely is)."""
    warnings = []
    share = float(security_settings.DRAIN_SHARE)
    pulled_by_asset: dict[tuple[str, str], bool] = {}
    for item in result["transfers"]:
        if item["from"] == ctx.account:
            key = (item["standard"], item["token"])
            pulled_by_asset[key] = pulled_by_asset.get(key, False) or bool(item.get("pulled"))
    for delta in result["balance_deltas"]:
        amount = -int(delta["amount"])
        if amount <= 0:
            continue
        standard, token = delta["standard"], delta["token"]
        pulled = pulled_by_asset.get((standard, token), False)
        evidence = {"standard": standard, "token": token, "token_id": delta["token_id"], "amount": str(amount)}
        if standard in ("erc721", "erc1155"):
            if pulled:
                warnings.append(
                    Warning(
                        "balance_drain",
                        "CRITICAL",
                        f"A third-party contract takes your NFT {token} #{delta['token_id']}.",
                        {**evidence, "pulled": True},
                    )
                )
            continue
        before = ctx.balance_before((standard, token))
        if not before or amount < share * before:
            continue
        evidence |= {"balance": str(before), "share": round(amount / before, 4), "pulled": pulled}
        label = "ETH" if standard == "native" else f"token {token}"
        if pulled:
            warnings.append(
                Warning(
                    "balance_drain",
                    "CRITICAL",
                    f"A third-party contract takes {evidence['share']:.0%} of your {label} balance.",
                    evidence,
                )
            )
        else:
            warnings.append(
                Warning(
                    "large_outflow", "WARNING", f"You send {evidence['share']:.0%} of your {label} balance.", evidence
                )
            )
    return warnings


def _approval_warnings(result: dict[str, Any], ctx: RiskContext) -> list[Warning]:
    warnings = []
    unlimited = int(security_settings.UNLIMITED_ALLOWANCE)
    approvals = [a for a in result["approvals"] if a["owner"] == ctx.account and int(a["amount"]) > 0]
    trusted = known_addresses([a["spender"] for a in approvals], chain=ctx.chain)
    for approval in approvals:
        spender, amount = approval["spender"], int(approval["amount"])
        evidence = {
            "token": approval["token"],
            "spender": spender,
            "standard": approval["standard"],
            "amount": approval["amount"],
        }
        if approval["standard"] in ("erc20", "permit2") and amount >= unlimited:
            warnings.append(
                Warning(
                    "unlimited_approval",
                    "WARNING",
                    f"You allow {spender} to spend an unlimited amount of token {approval['token']}.",
                    evidence,
                )
            )
        if approval["standard"] == "approval_for_all" and spender not in trusted:
            warnings.append(
                Warning(
                    "approval_for_all_unknown_operator",
                    "WARNING",
                    f"You let an unknown operator, {spender}, move all your NFTs from {approval['token']}.",
                    evidence,
                )
            )
        if spender not in trusted and ctx.has_code(spender) is False:
            warnings.append(
                Warning(
                    "approval_to_eoa",
                    "WARNING",
                    f"You approve {spender}, which is not a contract: approvals to personal wallets are a "
                    "common phishing pattern.",
                    evidence,
                )
            )
    return warnings


def _hex_body(address: str) -> str:
    return address.lower().removeprefix("0x")


def looks_like(candidate: str, reference: str) -> bool:
    """Address poisoning: same leading and trailing hex characters, different address."""
    a, b = _hex_body(candidate), _hex_body(reference)
    prefix, suffix = int(security_settings.POISONING_PREFIX_CHARS), int(security_settings.POISONING_SUFFIX_CHARS)
    return a != b and a[:prefix] == b[:prefix] and a[-suffix:] == b[-suffix:]


def _new_counterparty_warnings(result: dict[str, Any], ctx: RiskContext, counterparties: set[str]) -> list[Warning]:
    """Value sent to a first-time recipient within SECURITY_NEW_DEVICE_SECONDS of a device change: the pattern of
    a takeover (add a passkey, then empty the account), rare for the owner, and the moment a warning is cheap."""
    recipients = {t["to"] for t in result["transfers"] if t["from"] == ctx.account and t["to"] and int(t["amount"]) > 0}
    new = recipients - counterparties - ctx.infrastructure - known_addresses(recipients, chain=ctx.chain)
    if not new:
        return []
    changed = recent_device_change(ctx)
    if changed is None:
        return []
    return [
        Warning(
            "new_counterparty_after_device_change",
            "WARNING",
            f"First payment to {recipient} since this account's devices changed.",
            {"recipient": recipient, "device_id": str(changed.pk), "status": changed.status},
        )
        for recipient in sorted(new)
    ]


def _poisoning_warnings(result: dict[str, Any], ctx: RiskContext, counterparties: set[str]) -> list[Warning]:
    warnings = []
    recipients = {t["to"] for t in result["transfers"] if t["from"] == ctx.account and t["to"]}
    for recipient in sorted(recipients - counterparties):
        for known in sorted(counterparties):
            if looks_like(recipient, known):
                warnings.append(
                    Warning(
                        "address_poisoning",
                        "CRITICAL",
                        f"{recipient} imitates {known}, an address you have used before: check every character.",
                        {"recipient": recipient, "resembles": known},
                    )
                )
                break
    return warnings


def contract_deployed_at(ctx: RiskContext, address: str) -> int | None:
    """Timestamp of the block that first has code at `address` (binary search over the code at past blocks;
    cached, since a deployment block never changes). None when it cannot be told (no node, pruned history)."""
    if ctx.node is None:
        return None
    key = f"security:deployed:{ctx.chain.chain_id if ctx.chain else 0}:{address}"
    cached = cache.get(key)
    if cached is not None:
        return int(cached)
    try:
        latest = ctx.node.block_number()
        low, high = 0, latest
        while low < high:
            middle = (low + high) // 2
            if ctx.node.is_deployed(address, block=middle):
                high = middle
            else:
                low = middle + 1
        timestamp = ctx.node.block_timestamp(low)
    except ChainUnavailable:
        return None
    cache.set(key, timestamp, timeout=security_settings.CONTRACT_AGE_CACHE_SECONDS)
    return timestamp


def _new_contract_warnings(result: dict[str, Any], ctx: RiskContext, counterparties: set[str]) -> list[Warning]:
    """First interaction with a contract deployed minutes ago (SECURITY_NEW_CONTRACT_SECONDS)."""
    max_age = int(security_settings.NEW_CONTRACT_SECONDS)
    if max_age <= 0:
        return []
    candidates = set(result["call_targets"]) | {a["spender"] for a in result["approvals"] if a["owner"] == ctx.account}
    candidates -= counterparties | ctx.infrastructure
    candidates -= known_addresses(candidates, chain=ctx.chain)
    warnings = []
    now = int(time.time())
    for address in sorted(candidates):
        if not ctx.has_code(address):
            continue
        deployed_at = contract_deployed_at(ctx, address)
        if deployed_at is not None and now - deployed_at < max_age:
            age = max(0, now - deployed_at)
            warnings.append(
                Warning(
                    "new_contract",
                    "WARNING",
                    f"You have never used {address}, and it was deployed {age // 60} minute(s) ago.",
                    {"address": address, "age_seconds": age},
                )
            )
    return warnings


def _history_warnings(result: dict[str, Any], ctx: RiskContext) -> list[Warning]:
    """Value far above what this user usually moves (per asset), over their earlier non-blocked scans."""
    outflows = {k: int(v) for k, v in result.get("outflows", {}).items()}
    if not outflows:
        return []
    earlier = TransactionSimulation.objects.filter(user=ctx.user, status=TransactionSimulation.Status.SUCCESS)
    earlier = earlier.exclude(action=TransactionSimulation.Action.BLOCK)
    if ctx.exclude_simulation_id is not None:
        earlier = earlier.exclude(pk=ctx.exclude_simulation_id)
    history = earlier.order_by("-created_at").values_list("result", flat=True)[: security_settings.VALUE_HISTORY_SIZE]
    samples: dict[str, list[int]] = {}
    for past in history:
        for asset, amount in (past or {}).get("outflows", {}).items():
            samples.setdefault(asset, []).append(int(amount))
    warnings = []
    multiplier = float(security_settings.VALUE_HISTORY_MULTIPLIER)
    for asset, amount in sorted(outflows.items()):
        past = samples.get(asset, [])
        if len(past) < security_settings.VALUE_HISTORY_MIN_SAMPLES:
            continue
        usual = max(past)
        if amount > multiplier * usual:
            warnings.append(
                Warning(
                    "value_above_history",
                    "WARNING",
                    f"This moves {amount / max(usual, 1):.0f}x more than the largest amount you usually send.",
                    {"asset": asset, "amount": str(amount), "usual_max": str(usual), "samples": len(past)},
                )
            )
    return warnings

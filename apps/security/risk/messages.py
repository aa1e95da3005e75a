"""Scanning EIP-712 typed data a user is asked to sign: ERC-20 permits (EIP-2612 and DAI-style), Permit2
(allowance and signature-transfer permits) and Seaport orders. A signature is as dangerous as a transaction: a
signed permit lets the spender move tokens without the user ever sending anything."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from apps.chain import values
from apps.security.conf import security_settings
from apps.security.risk.context import RiskContext
from apps.security.risk.lists import known_addresses, threat_warnings
from apps.security.verdicts import Warning

PERMIT2_TYPES = {
    "PermitSingle",
    "PermitBatch",
    "PermitTransferFrom",
    "PermitBatchTransferFrom",
    "PermitWitnessTransferFrom",
    "PermitBatchWitnessTransferFrom",
}
_SEAPORT_NFT_ITEM_TYPES = {2, 3, 4, 5}  # ERC721, ERC1155, and their criteria-based forms
_int = values.typed_data_uint_parse
INVALID_TYPED_DATA = "invalid_typed_data"


def _object(value: object, name: str) -> dict[str, Any]:
    """A part of the message that EIP-712 makes a struct: absent is empty, anything but an object is refused."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise values.EvmValueError(INVALID_TYPED_DATA, f"{name} must be an object.")
    return value


def _objects(value: object, name: str) -> list[dict[str, Any]]:
    """A struct or an array of structs (Permit2 batches, Seaport items): each item must be an object."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [_object(item, f"{name}[{i}]") for i, item in enumerate(items)]


def _address(value: object) -> str:
    """An address the message names (a spender, a token): empty when absent, refused when malformed."""
    return values.address_parse(value) if value else ""


def _addresses(value: Any) -> Iterator[str]:
    """Everything address-shaped anywhere in the message, for the threat lists (what is not one is skipped)."""
    if isinstance(value, str):
        try:
            address = values.address_parse(value)
        except values.EvmValueError:
            return
        yield address
    elif isinstance(value, dict):
        for item in value.values():
            yield from _addresses(item)
    elif isinstance(value, list):
        for item in value:
            yield from _addresses(item)


def message_kind(typed_data: dict[str, Any]) -> str:
    primary = typed_data.get("primaryType", "")
    domain = _object(typed_data.get("domain"), "domain")
    if domain.get("name") == "Permit2" or primary in PERMIT2_TYPES:
        return "permit2"
    if primary == "Permit":
        return "erc20_permit"
    if primary == "OrderComponents" or domain.get("name") == "Seaport":
        return "seaport_order"
    return "other"


def message_warnings(typed_data: dict[str, Any], ctx: RiskContext) -> tuple[str, list[Warning]]:
    kind = message_kind(typed_data)
    message = _object(typed_data.get("message"), "message")
    domain = _object(typed_data.get("domain"), "domain")
    warnings = threat_warnings(
        set(_addresses(message)) | set(_addresses(domain.get("verifyingContract"))), chain=ctx.chain, role="message"
    )
    if kind == "erc20_permit":
        warnings += _erc20_permit(message, domain, ctx)
    elif kind == "permit2":
        warnings += _permit2(typed_data.get("primaryType", ""), message, ctx)
    elif kind == "seaport_order":
        warnings += _seaport(message, ctx)
    return kind, warnings


def _allowance_warnings(
    *, token: str, spender: str, amount: int, unlimited_at: int, expires_at: int | None, ctx: RiskContext
) -> list[Warning]:
    warnings = []
    evidence = {"token": token, "spender": spender, "amount": str(amount), "expires_at": expires_at}
    if amount >= unlimited_at:
        warnings.append(
            Warning(
                "unlimited_permit",
                "WARNING",
                f"Signing lets {spender} spend an unlimited amount of token {token}.",
                evidence,
            )
        )
    max_lifetime = int(security_settings.PERMIT_MAX_LIFETIME_SECONDS)
    if expires_at is not None and (expires_at == 0 or expires_at - int(time.time()) > max_lifetime):
        warnings.append(
            Warning(
                "long_lived_permit",
                "WARNING",
                f"The permission lasts more than {max_lifetime // 86400} day(s) (until {expires_at}).",
                evidence,
            )
        )
    if spender and spender not in known_addresses([spender], chain=ctx.chain):
        code = ctx.has_code(spender)
        if code is False:
            warnings.append(
                Warning(
                    "permit_to_eoa",
                    "WARNING",
                    f"The spender {spender} is not a contract: permits to personal wallets are a phishing pattern.",
                    evidence,
                )
            )
        else:
            warnings.append(
                Warning("unknown_spender", "INFO", f"{spender} is not a spender we know.", {"spender": spender})
            )
    return warnings


def _erc20_permit(message: dict[str, Any], domain: dict[str, Any], ctx: RiskContext) -> list[Warning]:
    token = _address(domain.get("verifyingContract"))
    spender = _address(message.get("spender"))
    if "allowed" in message:  # DAI-style: a boolean that means "unlimited"
        amount = (1 << 256) - 1 if message.get("allowed") in (True, "true", 1, "1") else 0
        expiry = _int(message.get("expiry", 0))
    else:
        amount = _int(message.get("value", 0))
        expiry = _int(message.get("deadline", 0))
    return _allowance_warnings(
        token=token,
        spender=spender,
        amount=amount,
        unlimited_at=int(security_settings.UNLIMITED_ALLOWANCE),
        expires_at=expiry,
        ctx=ctx,
    )


def _permit2(primary: str, message: dict[str, Any], ctx: RiskContext) -> list[Warning]:
    spender = _address(message.get("spender"))
    unlimited_at = min(int(security_settings.UNLIMITED_ALLOWANCE), (1 << 160) - 1)
    warnings: list[Warning] = []
    if primary in ("PermitSingle", "PermitBatch"):
        for item in _objects(message.get("details"), "message.details"):
            warnings += _allowance_warnings(
                token=values.address_parse(item.get("token")),
                spender=spender,
                amount=_int(item.get("amount", 0)),
                unlimited_at=unlimited_at,
                expires_at=_int(item.get("expiration", 0)),
                ctx=ctx,
            )
    else:  # signature transfers: one-shot, bounded by `deadline`
        for item in _objects(message.get("permitted"), "message.permitted"):
            warnings += _allowance_warnings(
                token=values.address_parse(item.get("token")),
                spender=spender,
                amount=_int(item.get("amount", 0)),
                unlimited_at=unlimited_at,
                expires_at=_int(message.get("deadline", 0)),
                ctx=ctx,
            )
    return warnings


def _seaport(message: dict[str, Any], ctx: RiskContext) -> list[Warning]:
    """A listing whose consideration pays the offerer (next to) nothing: the classic "sign to log in" NFT theft."""
    offerer = _address(message.get("offerer"))
    offered_nfts = [
        item
        for item in _objects(message.get("offer"), "message.offer")
        if _int(item.get("itemType", 0)) in _SEAPORT_NFT_ITEM_TYPES
    ]
    if not offered_nfts:
        return []
    paid_to_offerer = sum(
        _int(item.get("endAmount", item.get("startAmount", 0)))
        for item in _objects(message.get("consideration"), "message.consideration")
        if item.get("recipient") and _address(item["recipient"]) == offerer and _int(item.get("itemType", 0)) in (0, 1)
    )
    evidence = {
        "offerer": offerer,
        "nfts": [
            {"token": item.get("token"), "id": str(item.get("identifierOrCriteria", ""))} for item in offered_nfts
        ],
        "paid_to_offerer": str(paid_to_offerer),
    }
    if paid_to_offerer <= int(security_settings.NFT_ORDER_MIN_PRICE_WEI):
        return [
            Warning(
                "nft_order_underpriced",
                "CRITICAL",
                "Signing lists your NFTs for nothing: anyone could take them.",
                evidence,
            )
        ]
    return [Warning("nft_listing", "INFO", "Signing lists your NFTs for sale.", evidence)]

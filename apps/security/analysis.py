"""From a simulated call tree to what the user will see: revert reason, native and token transfers, approvals and
the account's balance deltas. Pure functions over `adapters.Frame`; no I/O except reading ABIs once."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from apps.chain import contracts
from apps.security.adapters import Frame, SimulationTrace

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
APPROVAL = "0x" + keccak(text="Approval(address,address,uint256)").hex()
APPROVAL_FOR_ALL = "0x" + keccak(text="ApprovalForAll(address,address,bool)").hex()
TRANSFER_SINGLE = "0x" + keccak(text="TransferSingle(address,address,address,uint256,uint256)").hex()
TRANSFER_BATCH = "0x" + keccak(text="TransferBatch(address,address,address,uint256[],uint256[])").hex()
# Permit2 (Uniswap's AllowanceTransfer): allowances with an amount (uint160) and an expiry (uint48).
PERMIT2_APPROVAL = "0x" + keccak(text="Approval(address,address,address,uint160,uint48)").hex()
PERMIT2_PERMIT = "0x" + keccak(text="Permit(address,address,address,uint160,uint48,uint48)").hex()

_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")
PANIC_CODES = {
    0x00: "generic panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}
_TRANSFER_SELECTORS = {
    "0x" + keccak(text=signature)[:4].hex()
    for signature in (
        "transfer(address,uint256)",
        "transferFrom(address,address,uint256)",
        "safeTransferFrom(address,address,uint256)",
        "safeTransferFrom(address,address,uint256,bytes)",
        "safeTransferFrom(address,address,uint256,uint256,bytes)",
        "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
    )
}
_VALUE_FRAMES = {"CALL", "CALLCODE", "CREATE", "CREATE2", "SELFDESTRUCT"}


@cache
def _custom_errors() -> dict[bytes, tuple[str, list[str], list[str]]]:
    """selector -> (name, input types, input names) for every custom error in our artifacts and the EntryPoint."""
    registry: dict[bytes, tuple[str, list[str], list[str]]] = {}
    abis: list[list[dict[str, Any]]] = []
    for path in sorted(contracts.ARTIFACTS_DIR.glob("*.json")):
        abis.append(contracts.load_artifact(path.stem).abi)
    with contextlib.suppress(contracts.ArtifactMissing):
        abis.append(contracts.entry_point_v08_artifact().abi)
    for abi in abis:
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [_abi_type(i) for i in item["inputs"]]
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            registry.setdefault(selector, (item["name"], types, [i.get("name", "") for i in item["inputs"]]))
    return registry


def _abi_type(item: dict[str, Any]) -> str:
    kind: str = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + kind[5:]
    return kind


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    return str(value)


def decode_revert(data_hex: str, fallback: str = "") -> str:
    """A human reason for revert data: Error(string), Panic(uint256), a known custom error, or the raw selector."""
    data = bytes.fromhex(data_hex.removeprefix("0x")) if data_hex and data_hex != "0x" else b""
    if not data:
        return fallback or "execution reverted (no reason)"
    selector, body = data[:4], data[4:]
    try:
        if selector == _ERROR_STRING:
            reason: str = decode(["string"], body)[0]
            return reason
        if selector == _PANIC:
            code = decode(["uint256"], body)[0]
            return f"Panic(0x{code:02x}): {PANIC_CODES.get(code, 'unknown panic code')}"
        known = _custom_errors().get(selector)
        if known is not None:
            name, types, names = known
            values = decode(types, body)
            args = ", ".join(f"{n}={_render(v)}" if n else _render(v) for n, v in zip(names, values, strict=True))
            return f"{name}({args})"
    except Exception:  # noqa: S110 - malformed revert data is still reported, raw, below
        pass
    return f"custom error 0x{selector.hex()} (unknown)"


def _deepest_revert_output(frame: Frame) -> str:
    """Revert data that was swallowed on the way up: the deepest failed frame that returned something."""
    for child in reversed(frame.calls):
        if child.error:
            inner = _deepest_revert_output(child)
            if inner:
                return inner
    return frame.output if frame.error and frame.output not in ("", "0x") else ""


def effective_frames(frame: Frame) -> Iterator[Frame]:
    """Frames whose effects stand: a frame that failed is rolled back with everything under it."""
    if frame.error:
        return
    yield frame
    for child in frame.calls:
        yield from effective_frames(child)


def _topic_address(topic: str) -> str:
    return to_checksum_address("0x" + topic[-40:])


def _word(data: bytes, index: int) -> int:
    return int.from_bytes(data[32 * index : 32 * (index + 1)], "big")


def analyse(trace: SimulationTrace, *, account: str) -> dict[str, Any]:
    """Decode the effects of a simulated call for `account` (checksummed). JSON-ready."""
    account = to_checksum_address(account)
    root = trace.root
    result: dict[str, Any] = {
        "backend": trace.backend,
        "external_id": trace.external_id,
        "success": trace.success,
        "gas_used": root.gas_used,
        "revert_reason": "",
        "revert_data": "",
        "transfers": [],
        "approvals": [],
        "balance_deltas": [],
        "outflows": {},
        "touched": [],
        "call_targets": [],
    }
    if not trace.success:
        data = root.output if root.output not in ("", "0x") else _deepest_revert_output(root)
        result["revert_data"] = data
        result["revert_reason"] = decode_revert(data, fallback=root.error)
        return result

    frames = list(effective_frames(root))
    # Token moves the account made itself (transfer/transferFrom/safeTransferFrom calls from the account): used to
    # attribute logs that a backend does not report per frame (Tenderly). With per-frame logs (the node's tracer),
    # the emitting frame's caller says directly who moved the tokens.
    moved_by_account = {f.to for f in frames if f.sender == account and f.input[:10].lower() in _TRANSFER_SELECTORS}
    transfers: list[dict[str, Any]] = []
    approvals: list[dict[str, Any]] = []
    touched: set[str] = set()
    for frame in frames:
        touched.update(a for a in (frame.sender, frame.to) if a)
        if frame.value and frame.type in _VALUE_FRAMES:
            transfers.append(
                {
                    "standard": "native",
                    "token": "",
                    "token_id": None,
                    "from": frame.sender,
                    "to": frame.to,
                    "amount": str(frame.value),
                    "pulled": False,
                }
            )
        for log in frame.logs:
            touched.add(log.address)
            decoded_t, decoded_a = _decode_log(log.address, log.topics, log.data)
            emitted_here = log.address == frame.to
            for item in decoded_t:
                if item["from"] != account:
                    item["pulled"] = False
                elif emitted_here:
                    item["pulled"] = frame.sender != account
                else:
                    item["pulled"] = log.address not in moved_by_account
                transfers.append(item)
            approvals.extend(decoded_a)
    for item in transfers:
        touched.update(a for a in (item["from"], item["to"]) if a)
    for item in approvals:
        touched.update(a for a in (item["owner"], item["spender"]) if a)

    deltas: dict[tuple[str, str, str | None], int] = defaultdict(int)
    outflows: dict[str, int] = defaultdict(int)
    for item in transfers:
        key = (item["standard"], item["token"], item["token_id"])
        amount = int(item["amount"])
        if item["to"] == account:
            deltas[key] += amount
        if item["from"] == account:
            deltas[key] -= amount
            if item["standard"] in ("native", "erc20"):
                outflows[item["token"] or "native"] += amount
    result.update(
        transfers=transfers,
        approvals=approvals,
        balance_deltas=[
            {"standard": s, "token": t, "token_id": tid, "amount": str(v)}
            for (s, t, tid), v in sorted(deltas.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or ""))
            if v
        ],
        outflows={k: str(v) for k, v in outflows.items()},
        touched=sorted(touched),
        # Contracts the account itself calls (its own code runs by DELEGATECALL, reads by STATICCALL: not interactions).
        call_targets=sorted({f.to for f in frames if f.sender == account and f.to and f.type in _VALUE_FRAMES}),
    )
    return result


def _decode_log(
    address: str, topics: tuple[str, ...], data_hex: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    transfers: list[dict[str, Any]] = []
    approvals: list[dict[str, Any]] = []
    if not topics:
        return transfers, approvals
    data = bytes.fromhex(data_hex.removeprefix("0x"))
    head = topics[0]
    try:
        if head == TRANSFER and len(topics) == 3 and len(data) >= 32:
            transfers.append(_transfer("erc20", address, topics[1], topics[2], _word(data, 0), None))
        elif head == TRANSFER and len(topics) == 4:
            transfers.append(_transfer("erc721", address, topics[1], topics[2], 1, str(int(topics[3], 16))))
        elif head == TRANSFER_SINGLE and len(topics) == 4:
            token_id, amount = _word(data, 0), _word(data, 1)
            transfers.append(_transfer("erc1155", address, topics[2], topics[3], amount, str(token_id)))
        elif head == TRANSFER_BATCH and len(topics) == 4:
            ids, amounts = decode(["uint256[]", "uint256[]"], data)
            for token_id, amount in zip(ids, amounts, strict=True):
                transfers.append(_transfer("erc1155", address, topics[2], topics[3], amount, str(token_id)))
        elif head == APPROVAL and len(topics) == 3 and len(data) >= 32:
            approvals.append(_approval("erc20", address, topics[1], topics[2], amount=_word(data, 0)))
        elif head == APPROVAL and len(topics) == 4:
            approvals.append(
                _approval("erc721", address, topics[1], topics[2], amount=1, token_id=str(int(topics[3], 16)))
            )
        elif head == APPROVAL_FOR_ALL and len(topics) == 3:
            approvals.append(_approval("approval_for_all", address, topics[1], topics[2], amount=_word(data, 0)))
        elif head in (PERMIT2_APPROVAL, PERMIT2_PERMIT) and len(topics) == 4:
            # Permit2 is the emitter; the token is the second indexed topic.
            approvals.append(
                {
                    **_approval("permit2", _topic_address(topics[2]), topics[1], topics[3], amount=_word(data, 0)),
                    "expiration": _word(data, 1),
                    "via": address,
                }
            )
    except Exception:
        return [], []
    return transfers, approvals


def _transfer(
    standard: str, token: str, from_topic: str, to_topic: str, amount: int, token_id: str | None
) -> dict[str, Any]:
    return {
        "standard": standard,
        "token": token,
        "token_id": token_id,
        "from": _topic_address(from_topic),
        "to": _topic_address(to_topic),
        "amount": str(amount),
    }


def _approval(
    standard: str, token: str, owner_topic: str, spender_topic: str, *, amount: int, token_id: str | None = None
) -> dict[str, Any]:
    return {
        "standard": standard,
        "token": token,
        "token_id": token_id,
        "owner": _topic_address(owner_topic),
        "spender": _topic_address(spender_topic),
        "amount": str(amount),
        "expiration": None,
        "via": token,
    }

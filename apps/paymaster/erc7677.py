"""ERC-7677 paymaster web service at `/rpc/paymaster`, for outside clients (viem, permissionless, ...).

The same policies and ledger as our own flow: `pm_getPaymasterStubData` says whether a policy would pay and returns
estimation-ready data; `pm_getPaymasterData` reserves the worst-case cost under the policy's row lock and signs.
Integrators authenticate with an API key (`?apikey=` or `X-Api-Key`) bound to the policies it may use;
`context.policyId` picks one of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from eth_utils import to_checksum_address

from apps.chain import paymaster_data, userops
from apps.chain.clients import get_node_client
from apps.chain.models import Chain
from apps.chain.userops import UserOperation
from apps.paymaster.intents import call_selector
from apps.paymaster.models import PaymasterApiKey, SponsorshipLedgerEntry, SponsorshipPolicy
from apps.paymaster.signer import paymaster_signer_key
from apps.paymaster.sponsorship import SponsorshipRequest, sponsorship_evaluate, sponsorship_reserve
from lykos.errors import LykosError
from lykos.ratelimit import ratelimit_hit

logger = logging.getLogger(__name__)

# JSON-RPC error codes: the standard ones, and -32000 for "a policy refused" (ERC-7677 leaves it to servers).
INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL = -32600, -32601, -32602, -32603
UNAUTHORIZED, REFUSED = -32001, -32000


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        self.code, self.message, self.data = code, message, data
        super().__init__(message)


def api_key_create(*, name: str, policies: list[SponsorshipPolicy]) -> tuple[PaymasterApiKey, str]:
    """A new integrator key. The plaintext is returned once; only its SHA-256 is stored."""
    plaintext = "pm_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = PaymasterApiKey.objects.create(name=name, key_hash=hashlib.sha256(plaintext.encode()).hexdigest())
        key.policies.set(policies)
    return key, plaintext


def _api_key(request: HttpRequest) -> PaymasterApiKey:
    plaintext = request.GET.get("apikey") or request.headers.get("X-Api-Key") or ""
    if not plaintext:
        raise RpcError(UNAUTHORIZED, "An API key is required (?apikey= or X-Api-Key).")
    key = PaymasterApiKey.objects.filter(key_hash=hashlib.sha256(plaintext.encode()).hexdigest(), enabled=True).first()
    if key is None:
        raise RpcError(UNAUTHORIZED, "Unknown or disabled API key.")
    return key


def _parse(params: Any) -> tuple[UserOperation, Chain, dict[str, Any]]:
    if not isinstance(params, list) or len(params) < 3:
        raise RpcError(INVALID_PARAMS, "Expected [userOp, entryPoint, chainId, context?].")
    raw_op, entry_point, chain_id = params[0], params[1], params[2]
    context = params[3] if len(params) > 3 and isinstance(params[3], dict) else {}
    try:
        op = UserOperation.from_rpc(raw_op)
        chain_number = int(chain_id, 16) if isinstance(chain_id, str) else int(chain_id)
        entry_point = to_checksum_address(entry_point)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RpcError(INVALID_PARAMS, f"Malformed UserOperation or chain id: {exc}") from exc
    chain = Chain.objects.filter(chain_id=chain_number, enabled=True).exclude(paymaster="").first()
    if chain is None:
        raise RpcError(INVALID_PARAMS, f"Chain {chain_number} is not served.")
    if entry_point != to_checksum_address(chain.entry_point):
        raise RpcError(INVALID_PARAMS, f"EntryPoint {entry_point} is not served on chain {chain_number}.")
    return op, chain, context


def _policies(key: PaymasterApiKey, context: dict[str, Any]) -> list[SponsorshipPolicy]:
    policies = list(key.policies.filter(enabled=True).order_by("priority", "name"))
    policy_id = context.get("policyId")
    if policy_id:
        try:
            wanted = uuid.UUID(str(policy_id))
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, "context.policyId is not a policy id.") from exc
        policies = [p for p in policies if p.pk == wanted]
        if not policies:
            raise RpcError(REFUSED, "This API key may not use that policy.", {"rule": "policy_not_allowed"})
    return policies


def _calls_of(op: UserOperation) -> list[tuple[str, int, str | None]]:
    """Targets and selectors for the allowlist, when the calldata is our account's ERC-7821 batch."""
    try:
        return [(c.target, c.value, call_selector(c)) for c in userops.decode_execute(op.call_data)]
    except (ValueError, AttributeError):
        return [(op.sender, 0, "0x" + op.call_data[:4].hex() if len(op.call_data) >= 4 else None)]


def _request(op: UserOperation, chain: Chain) -> SponsorshipRequest:
    # A stub request may carry no gas yet; costing it at least 1 wei still refuses an exhausted budget early.
    return SponsorshipRequest(
        chain_id=chain.chain_id, sender=op.sender, max_cost_wei=max(op.max_cost(), 1), calls=_calls_of(op), user=None
    )


def _stub(key: PaymasterApiKey, params: Any) -> dict[str, Any]:
    op, chain, context = _parse(params)
    stub_gas = paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT
    candidate = op.replace(
        paymaster=chain.paymaster,
        paymaster_verification_gas_limit=stub_gas,
        paymaster_post_op_gas_limit=paymaster_data.PAYMASTER_POST_OP_GAS_LIMIT,
    )
    decision = sponsorship_evaluate(request=_request(candidate, chain), policies=_policies(key, context))
    if not decision.sponsored:
        raise RpcError(
            REFUSED, f"Sponsorship refused: {decision.rule}", {"rule": decision.rule, "refusals": decision.refusals}
        )
    return {
        "sponsor": {"name": settings.PAYMASTER_SPONSOR_NAME},
        "paymaster": to_checksum_address(chain.paymaster),
        "paymasterData": "0x" + paymaster_data.dummy_paymaster_data().hex(),
        "paymasterVerificationGasLimit": hex(stub_gas),
        "paymasterPostOpGasLimit": hex(paymaster_data.PAYMASTER_POST_OP_GAS_LIMIT),
        "isFinal": False,
    }


def _data(key: PaymasterApiKey, params: Any) -> dict[str, Any]:
    op, chain, context = _parse(params)
    if not op.paymaster_verification_gas_limit:
        op = op.replace(
            paymaster_verification_gas_limit=paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT,
            paymaster_post_op_gas_limit=paymaster_data.PAYMASTER_POST_OP_GAS_LIMIT,
        )
    op = op.replace(paymaster=chain.paymaster)
    ttl = settings.TRANSACTION_PREPARE_TTL_SECONDS
    valid_until = timezone.now() + timedelta(seconds=ttl)
    chain_now = get_node_client(chain).block_timestamp()  # the window is checked against the chain's clock
    with transaction.atomic():
        decision, entry = sponsorship_reserve(
            request=_request(op, chain), valid_until=valid_until, policies=_policies(key, context), api_key=key
        )
        if entry is None:
            raise RpcError(
                REFUSED, f"Sponsorship refused: {decision.rule}", {"rule": decision.rule, "refusals": decision.refusals}
            )
        data = paymaster_data.sign_paymaster_data(
            op,
            paymaster=chain.paymaster,
            chain_id=chain.chain_id,
            valid_after=chain_now - 60,
            valid_until=chain_now + ttl,
            private_key=paymaster_signer_key(),
        )
        signed = op.replace(paymaster_data=data)
        entry.chain = chain
        entry.user_op_hash = (
            "0x" + userops.user_op_hash(signed, entry_point=chain.entry_point, chain_id=chain.chain_id).hex()
        )
        entry.save(update_fields=["chain", "user_op_hash"])
    return {"paymaster": to_checksum_address(chain.paymaster), "paymasterData": "0x" + data.hex()}


METHODS = {"pm_getPaymasterStubData": _stub, "pm_getPaymasterData": _data}


def _answer(request_id: Any, result: Any = None, error: RpcError | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is None:
        body["result"] = result
    else:
        body["error"] = {"code": error.code, "message": error.message, **({"data": error.data} if error.data else {})}
    return body


@csrf_exempt
@require_POST
def paymaster_rpc(request: HttpRequest) -> JsonResponse:
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(_answer(None, error=RpcError(-32700, "Parse error.")), status=200)
    batch = isinstance(payload, list)
    answers = []
    try:
        key = _api_key(request)
        ratelimit_hit(scope="paymaster_rpc", key=f"apikey:{key.pk}")
    except RpcError as exc:
        return JsonResponse(_answer(None, error=exc), status=401)
    except LykosError as exc:
        response = JsonResponse(_answer(None, error=RpcError(-32005, exc.message)), status=exc.http_status)
        for header, value in exc.headers().items():
            response[header] = value
        return response
    for call in payload if batch else [payload]:
        request_id = call.get("id") if isinstance(call, dict) else None
        try:
            if not isinstance(call, dict) or call.get("jsonrpc") != "2.0" or "method" not in call:
                raise RpcError(INVALID_REQUEST, "Not a JSON-RPC 2.0 request.")
            handler = METHODS.get(call["method"])
            if handler is None:
                raise RpcError(METHOD_NOT_FOUND, f"Unknown method {call['method']!r}.")
            answers.append(_answer(request_id, handler(key, call.get("params"))))
        except RpcError as exc:
            answers.append(_answer(request_id, error=exc))
        except LykosError as exc:
            answers.append(_answer(request_id, error=RpcError(INTERNAL, exc.message, {"code": exc.code})))
    return JsonResponse(answers if batch else answers[0], safe=False)


def external_sponsorships_settle() -> int:
    """Periodic: settle outside clients' sponsored operations from their receipts, release the ones that can no
    longer land (their paymaster signature expired and the bundler does not know them). Returns how many closed."""
    from apps.chain.clients import get_bundler_client
    from apps.paymaster.sponsorship import sponsorship_release, sponsorship_settle

    closed = 0
    open_entries = SponsorshipLedgerEntry.objects.filter(
        status=SponsorshipLedgerEntry.Status.RESERVED, transaction__isnull=True, chain__isnull=False
    ).select_related("chain")
    for entry in open_entries:
        bundler = get_bundler_client(entry.chain)
        receipt = bundler.get_user_operation_receipt(entry.user_op_hash)
        if receipt is not None:
            sponsorship_settle(user_op_hash=entry.user_op_hash, actual_gas_cost_wei=int(receipt["actualGasCost"], 16))
            closed += 1
        elif entry.valid_until < timezone.now() and bundler.get_user_operation_by_hash(entry.user_op_hash) is None:
            sponsorship_release(user_op_hash=entry.user_op_hash, reason="expired")
            closed += 1
    return closed

"""`/rpc/paymaster`: the ERC-7677 paymaster web service for outside clients, a thin view over the services.

Integrators authenticate with an API key in the `X-Api-Key` header only: a key in the query string (`?apikey=`,
which some ERC-7677 clients default to) is refused before it is looked up, because URLs land in access logs and
proxies; the access log format in gunicorn.conf.py drops query strings too. The envelope (single or batch calls,
standard error codes) is the one in `apps.chain.clients`. The request-level refusals keep their HTTP status
(401 for a key, 429 or 503 from the rate limit); each call's own refusal is a JSON-RPC error in a 200 answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.chain import values
from apps.chain.clients import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    RpcError,
    rpc_payload_parse,
    rpc_response,
    rpc_serve,
)
from apps.chain.userops import UserOperation
from apps.paymaster import services
from apps.paymaster.errors import ApiKeyInQuery, SponsorshipParamsInvalid, SponsorshipRefused
from apps.paymaster.models import PaymasterApiKey
from lykos.errors import LykosError, NotAuthenticated
from lykos.ratelimit import ratelimit_hit

# Server-defined codes (ERC-7677 leaves them to servers): a policy refused, the key was refused, a limit was hit.
REFUSED, UNAUTHORIZED, LIMITED = -32000, -32001, -32005

_Method = Callable[..., dict[str, Any]]
METHODS: dict[str, _Method] = {
    "pm_getPaymasterStubData": services.paymaster_stub_data,
    "pm_getPaymasterData": services.paymaster_data_reserve,
}


@csrf_exempt
@require_POST
def paymaster_rpc(request: HttpRequest) -> JsonResponse:
    try:
        payload = rpc_payload_parse(request.body)
    except RpcError as exc:
        return JsonResponse(rpc_response(None, error=exc), status=200)
    try:
        if "apikey" in {name.lower() for name in request.GET}:
            raise ApiKeyInQuery()
        key = services.api_key_authenticate(plaintext=request.headers.get("X-Api-Key", ""))
        ratelimit_hit(scope="paymaster_rpc", key=f"apikey:{key.pk}")
    except LykosError as exc:
        code = UNAUTHORIZED if isinstance(exc, NotAuthenticated) else LIMITED
        response = JsonResponse(rpc_response(None, error=RpcError(code, exc.message)), status=exc.http_status)
        for header, value in exc.headers().items():
            response[header] = value
        return response
    return JsonResponse(rpc_serve(payload, functools.partial(_handle, key)), safe=False)


def _handle(key: PaymasterApiKey, method: str, params: Any) -> dict[str, Any]:
    """One call: validate the positional params, call the service, turn its refusals into JSON-RPC errors."""
    service = METHODS.get(method)
    if service is None:
        raise RpcError(METHOD_NOT_FOUND, f"Unknown method {method!r}.")
    op, entry_point, chain_id, context = _params(params)
    try:
        return service(
            api_key=key, op=op, entry_point=entry_point, chain_id=chain_id, policy_id=context.get("policyId")
        )
    except SponsorshipParamsInvalid as exc:
        raise RpcError(INVALID_PARAMS, exc.message) from exc
    except SponsorshipRefused as exc:
        raise RpcError(REFUSED, exc.message, exc.details) from exc
    except LykosError as exc:
        raise RpcError(INTERNAL_ERROR, exc.message, {"code": exc.code}) from exc


def _params(params: Any) -> tuple[UserOperation, str, int, dict[str, Any]]:
    """ERC-7677's `[userOp, entryPoint, chainId, context?]`; the chain id as a quantity (0x-hex, or a number)."""
    if not isinstance(params, list) or len(params) < 3:
        raise RpcError(INVALID_PARAMS, "Expected [userOp, entryPoint, chainId, context?].")
    raw_op, entry_point, chain_id = params[0], params[1], params[2]
    context = params[3] if len(params) > 3 and isinstance(params[3], dict) else {}
    if not isinstance(raw_op, dict):
        raise RpcError(INVALID_PARAMS, "Malformed UserOperation: expected an object.")
    try:
        op = UserOperation.from_rpc(raw_op)
        chain_number = values.chain_id_parse(values.quantity_parse(chain_id))
        entry_point = values.address_parse(entry_point)
    except values.EvmValueError as exc:
        raise RpcError(INVALID_PARAMS, f"Malformed UserOperation, entryPoint or chainId: {exc.message}") from exc
    return op, entry_point, chain_number, context

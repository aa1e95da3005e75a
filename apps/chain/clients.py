"""JSON-RPC clients: an EVM node (web3.py) and an ERC-4337 bundler (ERC-7769), with timeouts, retries for
transient failures and typed errors. Services receive them as arguments; `get_*_client(chain)` builds them.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ParamSpec, Protocol, TypeVar, cast

import requests
from eth_typing import BlockIdentifier, HexStr
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from requests.adapters import HTTPAdapter
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import RPCEndpoint, TxParams

from apps.chain import contracts
from apps.chain.errors import BundlerUnavailable, ChainUnavailable, bundler_error

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")

ERC20_BALANCE_ABI = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]

_ERC20_BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address)")

# Failures worth another try: the request may not have reached the server, or the server was restarting.
_TRANSIENT = (requests.ConnectionError, requests.Timeout)
_TRANSIENT_HTTP = {429, 502, 503, 504}


BlockId = int | str  # a block number, or a tag such as "latest"


@dataclass(frozen=True)
class RpcCall:
    """One read of a JSON-RPC batch. Build them with the `*_call` helpers below rather than by hand."""

    method: str
    params: tuple[Any, ...]


def code_call(address: str, *, block: BlockId = "latest") -> RpcCall:
    return RpcCall("eth_getCode", (to_checksum_address(address), _block_hex(block)))


def balance_call(address: str, *, block: BlockId = "latest") -> RpcCall:
    return RpcCall("eth_getBalance", (to_checksum_address(address), _block_hex(block)))


def contract_read_call(*, to: str, data: bytes, block: BlockId = "latest") -> RpcCall:
    return RpcCall("eth_call", ({"to": to_checksum_address(to), "data": "0x" + data.hex()}, _block_hex(block)))


def erc20_balance_call(*, token: str, owner: str, block: BlockId = "latest") -> RpcCall:
    """`balanceOf(owner)` of an ERC-20, for a batch; the answer decodes with `int.from_bytes(hex_data(answer))`."""
    owner_word = bytes.fromhex(to_checksum_address(owner)[2:]).rjust(32, b"\0")
    return contract_read_call(to=token, data=_ERC20_BALANCE_OF + owner_word, block=block)


def block_call(block: BlockId = "latest") -> RpcCall:
    return RpcCall("eth_getBlockByNumber", (_block_hex(block), False))


def _block_hex(block: BlockId) -> str:
    return hex(block) if isinstance(block, int) else block


def _block_param(block: BlockId) -> BlockIdentifier:
    return block if isinstance(block, int) else cast(BlockIdentifier, block)


def hex_quantity(value: str) -> int:
    """A JSON-RPC QUANTITY (`0x…`) as an int."""
    return int(value, 16)


def hex_data(value: str | None) -> bytes:
    """A JSON-RPC DATA string as bytes; `None`/`0x` (no code, empty return) are empty."""
    return bytes.fromhex(value[2:]) if value and value != "0x" else b""


class NodeClient:
    """An EVM node. Wraps web3.py so that connection failures become ChainUnavailable (503)."""

    def __init__(self, *, rpc_url: str, timeout: float = 10.0, retries: int = 2) -> None:
        self.rpc_url = rpc_url
        self.retries = retries
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))

    def _retrying(self, fn: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        for attempt in itertools.count():
            try:
                return fn(*args, **kwargs)
            except _TRANSIENT as exc:
                if attempt >= self.retries:
                    raise ChainUnavailable(details={"rpc_url": self.rpc_url}) from exc
                time.sleep(0.1 * 2**attempt)
            except ContractLogicError:
                raise
            except Web3Exception as exc:
                raise ChainUnavailable(f"The node refused the call: {exc}", details={"rpc_url": self.rpc_url}) from exc
        raise AssertionError("unreachable")

    def request(self, method: str, params: Sequence[Any]) -> Any:
        """A raw JSON-RPC call (e.g. debug_traceCall) with the same retries and errors."""

        def call() -> Any:
            response = self.w3.provider.make_request(RPCEndpoint(method), list(params))
            if "error" in response:
                raise ChainUnavailable(
                    f"{method} failed: {response['error'].get('message')}",
                    details={"rpc_url": self.rpc_url, "rpc_error": response["error"]},
                )
            return response["result"]

        return self._retrying(call)

    def batch(self, calls: Sequence[RpcCall]) -> list[Any]:
        """Several reads in one JSON-RPC batch (one HTTP round trip); results in the order of `calls`.

        Any error in the batch fails the whole batch: callers use it for reads that belong together (the risk
        rules' context), where a partial answer would be scored as if it were complete.
        """
        if not calls:
            return []
        provider = self.w3.provider
        assert isinstance(provider, HTTPProvider)

        def send() -> list[Any]:
            responses = provider.make_batch_request([(RPCEndpoint(c.method), list(c.params)) for c in calls])
            if not isinstance(responses, list):  # the node refused the batch as a whole
                responses = [responses]
            if len(responses) != len(calls) or any("error" in r for r in responses):
                errors = [r.get("error") for r in responses if "error" in r]
                raise ChainUnavailable(
                    "A batched read failed.", details={"rpc_url": self.rpc_url, "rpc_errors": errors[:3]}
                )
            return [r["result"] for r in responses]

        return self._retrying(send)

    def chain_id(self) -> int:
        return self._retrying(lambda: self.w3.eth.chain_id)

    def block_number(self) -> int:
        return self._retrying(lambda: self.w3.eth.block_number)

    def block_timestamp(self, block: BlockId = "latest") -> int:
        """The chain's own clock: validity windows (paymaster signatures) are checked against it, not ours."""
        return int(self._retrying(self.w3.eth.get_block, _block_param(block))["timestamp"])

    def get_code(self, address: str, *, block: BlockId = "latest") -> bytes:
        return bytes(self._retrying(self.w3.eth.get_code, to_checksum_address(address), _block_param(block)))

    def is_deployed(self, address: str, *, block: BlockId = "latest") -> bool:
        return len(self.get_code(address, block=block)) > 0

    def native_balance(self, address: str, *, block: BlockId = "latest") -> int:
        return int(self._retrying(self.w3.eth.get_balance, to_checksum_address(address), _block_param(block)))

    def call(self, *, to: str, data: bytes, block: BlockId = "latest") -> bytes:
        """A read-only call; a revert raises ContractLogicError, as web3 does."""
        tx: TxParams = {"to": to_checksum_address(to), "data": HexStr("0x" + data.hex())}
        return bytes(self._retrying(self.w3.eth.call, tx, _block_param(block)))

    def erc20_balance(self, *, token: str, owner: str) -> int:
        contract = self.w3.eth.contract(address=to_checksum_address(token), abi=ERC20_BALANCE_ABI)
        return int(self._retrying(contract.functions.balanceOf(to_checksum_address(owner)).call))

    def factory_account_address(self, *, factory: str, qx: bytes, qy: bytes, salt: int) -> str:
        """The counterfactual address, asked of the factory itself (the source of truth for CREATE2)."""
        contract = contracts.bind(self.w3, "LykosAccountFactory", factory)
        return to_checksum_address(self._retrying(contract.functions.getAddress(qx, qy, salt).call))

    def account_is_owner(self, *, account: str, qx: bytes, qy: bytes) -> bool:
        """Whether the deployed LykosAccount lists the passkey key (x, y) as an owner now: the ledger's answer,
        whatever a bundler reported."""
        contract = contracts.bind(self.w3, "LykosAccount", account)
        return bool(self._retrying(contract.functions.isOwner(qx, qy).call))

    def entry_point_deposit(self, *, entry_point: str, account: str) -> int:
        """What the account holds at the EntryPoint: unused prefunds are refunded there, and count toward the next."""
        contract = contracts.bind(self.w3, "EntryPoint", entry_point)
        return int(self._retrying(contract.functions.balanceOf(to_checksum_address(account)).call))

    def entry_point_nonce(self, *, entry_point: str, sender: str, key: int = 0) -> int:
        contract = contracts.bind(self.w3, "EntryPoint", entry_point)
        return int(self._retrying(contract.functions.getNonce(to_checksum_address(sender), key).call))


class BundlerClient:
    """An ERC-4337 bundler (ERC-7769 JSON-RPC). Read methods retry; sending retries only when the request
    cannot have reached the bundler, so an operation is never sent twice by us."""

    _ids = itertools.count(1)

    def __init__(self, *, url: str, timeout: float = 10.0, retries: int = 2) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=16))
        self.session.mount("https://", HTTPAdapter(pool_connections=4, pool_maxsize=16))

    def call(self, method: str, params: Sequence[Any], *, idempotent: bool = True) -> Any:
        payload: dict[str, Any] = {
            _VERSION_KEY: _VERSION,
            "id": next(self._ids),
            "method": method,
            "params": list(params),
        }
        for attempt in itertools.count():
            try:
                response = self.session.post(self.url, json=payload, timeout=self.timeout)
                if response.status_code in _TRANSIENT_HTTP:
                    raise requests.ConnectionError(f"HTTP {response.status_code}")
                body = response.json()
            except (requests.ConnectionError, requests.Timeout, ValueError) as exc:
                retryable = idempotent or isinstance(exc, requests.ConnectTimeout) or _refused(exc)
                if not retryable or attempt >= self.retries:
                    raise BundlerUnavailable(details={"bundler_url": self.url, "method": method}) from exc
                time.sleep(0.1 * 2**attempt)
                continue
            if "error" in body:
                error = body["error"]
                raise bundler_error(
                    rpc_code=int(error.get("code", 0)), message=error.get("message", ""), data=error.get("data")
                )
            return body.get("result")
        raise AssertionError("unreachable")

    def chain_id(self) -> int:
        return int(self.call("eth_chainId", []), 16)

    def supported_entry_points(self) -> list[str]:
        return [to_checksum_address(a) for a in self.call("eth_supportedEntryPoints", [])]

    def estimate_user_operation_gas(self, user_op: dict[str, str], *, entry_point: str) -> dict[str, int]:
        result = self.call("eth_estimateUserOperationGas", [user_op, entry_point])
        return {
            key: int(value, 16) for key, value in result.items() if isinstance(value, str) and value.startswith("0x")
        }

    def send_user_operation(self, user_op: dict[str, str], *, entry_point: str) -> str:
        return cast(str, self.call("eth_sendUserOperation", [user_op, entry_point], idempotent=False))

    def get_user_operation_by_hash(self, user_op_hash: str) -> dict[str, Any] | None:
        return cast("dict[str, Any] | None", self.call("eth_getUserOperationByHash", [user_op_hash]))

    def get_user_operation_receipt(self, user_op_hash: str) -> dict[str, Any] | None:
        return cast("dict[str, Any] | None", self.call("eth_getUserOperationReceipt", [user_op_hash]))

    def gas_price(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) the bundler will accept now: pimlico's "fast" tier."""
        fast = self.call("pimlico_getUserOperationGasPrice", [])["fast"]
        return int(fast["maxFeePerGas"], 16), int(fast["maxPriorityFeePerGas"], 16)


def _refused(exc: Exception) -> bool:
    """True when the connection was refused or reset before the request was sent."""
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text


@cache
def _node_client(rpc_url: str) -> NodeClient:
    return NodeClient(rpc_url=rpc_url)


@cache
def _bundler_client(url: str) -> BundlerClient:
    return BundlerClient(url=url)


class NodeEndpoint(Protocol):
    """Where a chain's node answers: a registered `Chain`, or a dev chain before (or without) its registration."""

    @property
    def rpc_url(self) -> str: ...


class BundlerEndpoint(Protocol):
    @property
    def bundler_url(self) -> str: ...


def get_node_client(chain: NodeEndpoint) -> NodeClient:
    """One pooled client per node URL for the process."""
    return _node_client(chain.rpc_url)


def get_bundler_client(chain: BundlerEndpoint) -> BundlerClient:
    return _bundler_client(chain.bundler_url)


# --- serving JSON-RPC -------------------------------------------------------------------------------------------
# Our own JSON-RPC endpoints (ERC-7677 `/rpc/paymaster`) speak the same protocol; its envelope lives here with the
# clients so that the protocol is spelled in one module. Standard error codes (JSON-RPC 2.0 §5.1):
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
_VERSION_KEY, _VERSION = "jsonrpc", "2.0"  # the envelope's version member, named once


class RpcError(Exception):
    """A JSON-RPC error object raised by a method handler; `rpc_serve` puts it in the answer."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        self.code, self.message, self.data = code, message, data
        super().__init__(message)


def rpc_response(request_id: Any, *, result: Any = None, error: RpcError | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {_VERSION_KEY: _VERSION, "id": request_id}
    if error is None:
        body["result"] = result
    else:
        body["error"] = {"code": error.code, "message": error.message, **({"data": error.data} if error.data else {})}
    return body


def rpc_payload_parse(body: bytes) -> Any:
    """The decoded request body; RpcError(PARSE_ERROR) when it is not JSON."""
    try:
        return json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise RpcError(PARSE_ERROR, "Parse error.") from exc


def rpc_serve(payload: Any, handle: Callable[[str, Any], Any]) -> dict[str, Any] | list[dict[str, Any]]:
    """Answer a parsed single or batch request. `handle(method, params)` returns the result or raises RpcError
    (METHOD_NOT_FOUND for a method it does not serve); each call of a batch is answered on its own."""
    batch = isinstance(payload, list)
    answers = []
    for call in payload if batch else [payload]:
        request_id = call.get("id") if isinstance(call, dict) else None
        try:
            if (
                not isinstance(call, dict)
                or call.get(_VERSION_KEY) != _VERSION
                or not isinstance(call.get("method"), str)
            ):
                raise RpcError(INVALID_REQUEST, "Not a JSON-RPC 2.0 request.")
            answers.append(rpc_response(request_id, result=handle(call["method"], call.get("params"))))
        except RpcError as exc:
            answers.append(rpc_response(request_id, error=exc))
    return answers if batch else answers[0]

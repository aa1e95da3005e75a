"""A local ERC-4337 chain for development and tests: anvil + EntryPoint v0.8 + our contracts + the alto bundler.

Plain Python (no Django) so both a management command and pytest fixtures can use it. Everything runs on loopback,
on free ports, in its own process group, and is stopped by PID (never by name) in `stop()`, on context exit, or at
interpreter exit. Start-up takes ~2-3 s, most of it alto.

Contracts are deployed through the deterministic deployment proxy with the same salts and bytecode as on any
public chain, so the EntryPoint sits at its canonical address (alto recognises v0.8 only there) and our factory and
implementation have the addresses they will have everywhere.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
from eth_abi import encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from apps.chain.contracts import DETERMINISTIC_DEPLOYER, NODE_MODULES, load_artifact, lykos_deployments

ANVIL_BINARY = NODE_MODULES / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ALTO_ENTRY = NODE_MODULES / "@pimlico" / "alto" / "esm" / "cli" / "alto.js"
LOOPBACK_PRELOAD = Path(__file__).resolve().parent / "loopback_preload.cjs"

#: Private keys of anvil's default accounts (mnemonic "test test ... junk"): public knowledge, each funded with
#: 10,000 ETH on every dev chain.
_ANVIL_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)

#: A valid P-256 signature (Wycheproof vector, as OpenZeppelin's P256 library uses it) to probe for the precompile.
_P256_PROBE = bytes.fromhex(
    "bb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023"
    + "00" * 31
    + "05"
    + "00" * 31
    + "01"
    + "a71af64de5126a4a4e02b7922d66ce9415ce88a4c9d25514d91082c8725ac957"
    + "5d47723c8fbe580bb369fec9c2665d8e30a435b9932645482e7c9f11e872296b"
)
P256_PRECOMPILE = "0x0000000000000000000000000000000000000100"

#: The dev chains' paymaster signer when the caller brings none: a fixed key derived from a public string (so it is
#: public knowledge, like anvil's keys). It holds no ETH; it only signs paymasterData.
DEV_PAYMASTER_SIGNER_KEY = "0x" + keccak(text="lykos.devchain.paymaster-signer.v1").hex()
#: What start_devchain deposits at the EntryPoint for the paymaster by default.
DEFAULT_PAYMASTER_DEPOSIT_WEI = 100 * 10**18


class DevChainError(RuntimeError):
    """The dev chain could not start (the message carries the failing process's output)."""


@dataclass(frozen=True)
class DevKey:
    """A funded dev-chain account. Its key is public knowledge: never use it outside a dev chain."""

    address: str
    private_key: str


@dataclass
class DevChain:
    """A running dev chain. Stop it with `stop()` or use it as a context manager."""

    rpc_url: str
    bundler_url: str
    chain_id: int
    hardfork: str | None
    p256_precompile: bool
    entry_point: str
    factory: str
    implementation: str
    webauthn_verifier: str
    deployer: DevKey
    bundler_executor: DevKey
    bundler_utility: DevKey
    #: Funded keys nobody else here uses (each test or tool should still avoid sharing one concurrently).
    funded_keys: tuple[DevKey, ...]
    #: LykosPaymaster (a plain CREATE deployment: its address is per chain, not deterministic).
    paymaster: str = ""
    #: Owns the paymaster (rotates its signer, withdraws its deposit): the deployer key.
    paymaster_owner: DevKey | None = None
    #: The paymaster's signer as started: a dev key, or None when the caller passed its own signer address.
    #: After set_paymaster_signer() this still describes the starting signer; ask the contract for the current one.
    paymaster_signer: DevKey | None = None
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)
    _workdir: Path | None = field(default=None, repr=False)
    #: How alto was started (argv, environment, log file), so an outage test can stop and restart it.
    _bundler_launch: tuple[list[str], dict[str, str], Path] | None = field(default=None, repr=False)

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop alto, then anvil (SIGTERM to each process group, SIGKILL after `timeout`); idempotent."""
        while self._processes:
            _stop_process(self._processes.pop(), timeout=timeout)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def stop_bundler(self, *, timeout: float = 5.0) -> None:
        """Stop alto only (the chain keeps running): what a bundler outage looks like to the backend."""
        alto = self._processes[-1] if len(self._processes) == 2 else None
        if alto is not None:
            _stop_process(alto, timeout=timeout)
            self._processes.remove(alto)

    def start_bundler(self, *, timeout: float = 30.0) -> None:
        """Start alto again on the same port (so `bundler_url` stays valid) after `stop_bundler`."""
        if self._bundler_launch is None or len(self._processes) != 1:
            raise DevChainError("the bundler is running or this dev chain cannot restart it")
        cmd, env, log = self._bundler_launch
        process = _spawn(cmd, log=log, cwd=self._workdir, env=env)
        self._processes.append(process)
        health = self.bundler_url.removesuffix("/rpc") + "/health"
        _wait_until(lambda: requests.get(health, timeout=1).ok, process, log, what="alto", timeout=timeout)

    @property
    def running(self) -> bool:
        return bool(self._processes) and all(p.poll() is None for p in self._processes)

    def __enter__(self) -> DevChain:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_devchain(
    *,
    chain_id: int | None = None,
    hardfork: str | None = None,
    alto_log_level: str = "warn",
    debug_endpoints: bool = False,
    node: str = "node",
    startup_timeout: float = 30.0,
    paymaster_signer: str | None = None,
    paymaster_deposit_wei: int = DEFAULT_PAYMASTER_DEPOSIT_WEI,
) -> DevChain:
    """Start anvil, deploy EntryPoint v0.8 and our contracts, start alto; return the running chain.

    `hardfork="prague"` gives a chain without the P-256 precompile (OpenZeppelin's Solidity fallback verifies);
    anvil's default hardfork has it. Raises DevChainError (after stopping whatever started) on failure.

    LykosPaymaster is deployed with the deployer as owner and `paymaster_signer` (an address whose key the caller
    holds, e.g. the Django secrets provider's) as signer, or DEV_PAYMASTER_SIGNER_KEY's address when None, and gets
    `paymaster_deposit_wei` of EntryPoint deposit.
    """
    deployer, executor, utility = (_dev_key(k) for k in _ANVIL_KEYS[:3])
    workdir = Path(tempfile.mkdtemp(prefix="lykos-devchain-"))
    processes: list[subprocess.Popen[bytes]] = []
    chain: DevChain | None = None
    try:
        anvil_port = _free_port()
        anvil_cmd = [str(ANVIL_BINARY), "--host", "127.0.0.1", "--port", str(anvil_port), "--silent"]
        if chain_id is not None:
            anvil_cmd += ["--chain-id", str(chain_id)]
        if hardfork is not None:
            anvil_cmd += ["--hardfork", hardfork]
        anvil_log = workdir / "anvil.log"
        processes.append(_spawn(anvil_cmd, log=anvil_log, cwd=workdir))
        rpc_url = f"http://127.0.0.1:{anvil_port}"
        _wait_until(
            lambda: _rpc(rpc_url, "eth_chainId", []) is not None,
            processes[-1],
            anvil_log,
            what="anvil",
            timeout=startup_timeout,
        )
        actual_chain_id = int(_rpc(rpc_url, "eth_chainId", []), 16)

        deployments = lykos_deployments()
        _deploy_deterministically(rpc_url, deployer.address, [d.deploy_data for d in deployments.in_order()])
        for deployment in deployments.in_order():
            if _rpc(rpc_url, "eth_getCode", [deployment.address, "latest"]) in ("0x", None):
                raise DevChainError(f"{deployment.name} is not at {deployment.address} after deployment")

        dev_signer = _dev_key(DEV_PAYMASTER_SIGNER_KEY) if paymaster_signer is None else None
        signer_address = dev_signer.address if dev_signer is not None else to_checksum_address(paymaster_signer or "")
        paymaster = _deploy_paymaster(
            rpc_url, owner=deployer.address, signer=signer_address, deposit_wei=paymaster_deposit_wei
        )

        alto_port = _free_port()
        alto_cmd = [
            node,
            "--require",
            str(LOOPBACK_PRELOAD),
            str(ALTO_ENTRY),
            "--entrypoints",
            deployments.entry_point.address,
            "--executor-private-keys",
            executor.private_key,
            "--utility-private-key",
            utility.private_key,
            "--rpc-url",
            rpc_url,
            "--port",
            str(alto_port),
            "--safe-mode",
            "false",  # safe mode's tracer does not work against anvil: ops never get sent
            "--log-level",
            alto_log_level,
        ]
        if debug_endpoints:
            alto_cmd += ["--enable-debug-endpoints", "true"]
        # No .env from the working directory and no Sentry: the bundler must not pick up the host's settings.
        env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"} | {"DOTENV_CONFIG_PATH": os.devnull}
        alto_log = workdir / "alto.log"
        processes.append(_spawn(alto_cmd, log=alto_log, cwd=workdir, env=env))
        bundler_url = f"http://127.0.0.1:{alto_port}"
        _wait_until(
            lambda: requests.get(f"{bundler_url}/health", timeout=1).ok,
            processes[-1],
            alto_log,
            what="alto",
            timeout=startup_timeout,
        )

        chain = DevChain(
            rpc_url=rpc_url,
            bundler_url=f"{bundler_url}/rpc",
            chain_id=actual_chain_id,
            hardfork=hardfork,
            p256_precompile=has_p256_precompile(rpc_url),
            entry_point=deployments.entry_point.address,
            factory=deployments.factory.address,
            implementation=deployments.implementation.address,
            webauthn_verifier=deployments.webauthn_verifier.address,
            deployer=deployer,
            bundler_executor=executor,
            bundler_utility=utility,
            funded_keys=tuple(_dev_key(k) for k in _ANVIL_KEYS[3:]),
            paymaster=paymaster,
            paymaster_owner=deployer,
            paymaster_signer=dev_signer,
            _processes=processes,
            _workdir=workdir,
            _bundler_launch=(alto_cmd, env, alto_log),
        )
        atexit.register(chain.stop)
        return chain
    finally:
        if chain is None:
            for process in reversed(processes):
                _stop_process(process, timeout=5.0)
            shutil.rmtree(workdir, ignore_errors=True)


def has_p256_precompile(rpc_url: str) -> bool:
    """Whether the chain answers the RIP-7212/EIP-7951 P-256 precompile (a known-valid signature returns 1)."""
    result = _rpc(rpc_url, "eth_call", [{"to": P256_PRECOMPILE, "data": "0x" + _P256_PROBE.hex()}, "latest"])
    return result is not None and result != "0x" and int(result, 16) == 1


def set_paymaster_signer(chain: DevChain, signer_address: str) -> None:
    """Rotate the dev chain paymaster's signer to `signer_address` (a transaction by the owner key).

    For pointing a running dev chain at a key the backend generated; ops signed by the previous key stop passing.
    """
    if chain.paymaster_owner is None or not chain.paymaster:
        raise DevChainError("this dev chain has no paymaster")
    data = _SET_SIGNER_SELECTOR + encode(["address"], [to_checksum_address(signer_address)])
    _transact(chain.rpc_url, chain.paymaster_owner.address, chain.paymaster, data)


def paymaster_signer_address(chain: DevChain) -> str:
    """The paymaster's current signer, read from the contract."""
    result = _rpc(chain.rpc_url, "eth_call", [{"to": chain.paymaster, "data": "0x" + _SIGNER_SELECTOR.hex()}, "latest"])
    return to_checksum_address("0x" + result[-40:])


def paymaster_deposit(chain: DevChain) -> int:
    """The paymaster's EntryPoint deposit in wei (LykosPaymaster.getDeposit)."""
    result = _rpc(
        chain.rpc_url, "eth_call", [{"to": chain.paymaster, "data": "0x" + _GET_DEPOSIT_SELECTOR.hex()}, "latest"]
    )
    return int(result, 16)


# --- internals ------------------------------------------------------------------------------------------------

_SET_SIGNER_SELECTOR = function_signature_to_4byte_selector("setSigner(address)")
_SIGNER_SELECTOR = function_signature_to_4byte_selector("signer()")
_GET_DEPOSIT_SELECTOR = function_signature_to_4byte_selector("getDeposit()")
_DEPOSIT_SELECTOR = function_signature_to_4byte_selector("deposit()")

_ids = itertools.count(1)


def _dev_key(private_key: str) -> DevKey:
    return DevKey(address=Account.from_key(private_key).address, private_key=private_key)


def _rpc(url: str, method: str, params: Sequence[Any], *, timeout: float = 10.0) -> Any:
    response = requests.post(
        url, json={"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": list(params)}, timeout=timeout
    )
    body = response.json()
    if "error" in body:
        raise DevChainError(f"{method}: {body['error']}")
    return body["result"]


def _deploy_deterministically(rpc_url: str, sender: str, payloads: Sequence[bytes]) -> None:
    """Send each payload (`salt ‖ init code`) to the deterministic deployer from an unlocked anvil account."""
    tx_hashes = [
        _rpc(
            rpc_url,
            "eth_sendTransaction",
            [{"from": sender, "to": DETERMINISTIC_DEPLOYER, "data": "0x" + payload.hex(), "gas": hex(8_000_000)}],
        )
        for payload in payloads
    ]
    for tx_hash in tx_hashes:
        receipt = None
        deadline = time.monotonic() + 10
        while receipt is None and time.monotonic() < deadline:
            receipt = _rpc(rpc_url, "eth_getTransactionReceipt", [tx_hash])
            if receipt is None:
                time.sleep(0.02)
        if receipt is None or int(receipt["status"], 16) != 1:
            raise DevChainError(f"deterministic deployment {tx_hash} failed: {receipt}")


def _deploy_paymaster(rpc_url: str, *, owner: str, signer: str, deposit_wei: int) -> str:
    """Deploy LykosPaymaster(owner, signer) from `owner` (an unlocked anvil account) and fund its deposit."""
    init_code = load_artifact("LykosPaymaster").init_code(["address", "address"], [owner, signer])
    receipt = _transact(rpc_url, owner, None, init_code, gas=3_000_000)
    paymaster = to_checksum_address(receipt["contractAddress"])
    if deposit_wei:
        _transact(rpc_url, owner, paymaster, _DEPOSIT_SELECTOR, value=deposit_wei)
    return paymaster


def _transact(
    rpc_url: str, sender: str, to: str | None, data: bytes, *, value: int = 0, gas: int = 500_000
) -> dict[str, Any]:
    """eth_sendTransaction from an unlocked anvil account; waits for the receipt and requires success."""
    tx: dict[str, str] = {"from": sender, "data": "0x" + data.hex(), "gas": hex(gas), "value": hex(value)}
    if to is not None:
        tx["to"] = to
    tx_hash = _rpc(rpc_url, "eth_sendTransaction", [tx])
    receipt = _wait_for_receipt(rpc_url, tx_hash)
    if int(receipt["status"], 16) != 1:
        raise DevChainError(f"transaction {tx_hash} failed: {receipt}")
    return receipt


def _wait_for_receipt(rpc_url: str, tx_hash: str, *, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = _rpc(rpc_url, "eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return dict(receipt)
        time.sleep(0.02)
    raise DevChainError(f"transaction {tx_hash} not mined within {timeout} s")


def _free_port() -> int:
    """A port the OS just handed out for loopback (closed again; the child binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(cmd: Sequence[str], *, log: Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # Own session = own process group, so stop() reaches any children (node workers) and nothing is orphaned.
    with log.open("wb") as out:
        return subprocess.Popen(
            list(cmd),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )


def _wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, *, what: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevChainError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(requests.RequestException, ValueError):
            if ready():
                return
        time.sleep(0.05)
    raise DevChainError(f"{what} not ready within {timeout} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _stop_process(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers, and reap the child."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    # The leader may have exited while children of its group still run.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)

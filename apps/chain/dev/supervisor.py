"""The dev chain's processes: anvil, then (once our contracts are deployed) the alto bundler.

Everything runs on loopback, on free ports, in its own process group, and is stopped by PID (never by name) in
`stop()`, on context exit, or at interpreter exit. Start-up takes ~2-3 s, most of it alto.
"""

from __future__ import annotations

import atexit
import contextlib
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

import requests
from eth_utils import to_checksum_address

from apps.chain.clients import NodeClient, get_node_client
from apps.chain.contracts import NODE_MODULES, lykos_deployments
from apps.chain.dev.deploy import (
    ANVIL_KEYS,
    DEFAULT_PAYMASTER_DEPOSIT_WEI,
    DEV_PAYMASTER_SIGNER_KEY,
    DevChainError,
    DevKey,
    deploy_contracts,
    deploy_paymaster,
    dev_key,
    has_p256_precompile,
)
from apps.chain.errors import ChainUnavailable

ANVIL_BINARY = NODE_MODULES / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ALTO_ENTRY = NODE_MODULES / "@pimlico" / "alto" / "esm" / "cli" / "alto.js"
LOOPBACK_PRELOAD = Path(__file__).resolve().parent / "loopback_preload.cjs"


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

    @property
    def node(self) -> NodeClient:
        return get_node_client(self)

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop alto, then anvil (SIGTERM to each process group, SIGKILL after `timeout`); idempotent.

        A process leaves the list only once it is stopped, so a stop that was interrupted (an exception, a signal)
        is finished by the next call, e.g. the one registered with atexit."""
        while self._processes:
            _stop_process(self._processes[-1], timeout=timeout)
            self._processes.pop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def stop_bundler(self, *, timeout: float = 5.0) -> None:
        """Stop alto only (the chain keeps running): what a bundler outage looks like to the backend."""
        alto = self._processes[-1] if len(self._processes) == 2 else None
        if alto is not None:
            _stop_process(alto, timeout=timeout)
            self._processes.remove(alto)

    def start_bundler(self, *, timeout: float = 90.0) -> None:
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
    startup_timeout: float = 90.0,
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
    deployer, executor, utility = (dev_key(k) for k in ANVIL_KEYS[:3])
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
        # A TCP probe, not a node call: the client's retries would sleep seconds on a node that is still starting.
        _wait_until(lambda: _listening(anvil_port), processes[-1], anvil_log, what="anvil", timeout=startup_timeout)
        rpc = NodeClient(rpc_url=rpc_url)
        try:
            actual_chain_id = rpc.chain_id()
            deployments = lykos_deployments()
            deploy_contracts(rpc, deployments, sender=deployer.address)
            dev_signer = dev_key(DEV_PAYMASTER_SIGNER_KEY) if paymaster_signer is None else None
            signer = dev_signer.address if dev_signer is not None else to_checksum_address(paymaster_signer or "")
            paymaster = deploy_paymaster(rpc, owner=deployer.address, signer=signer, deposit_wei=paymaster_deposit_wei)
            p256_precompile = has_p256_precompile(rpc)
        except ChainUnavailable as exc:
            raise DevChainError(f"anvil refused a call: {exc.message} {exc.details}\n{_tail(anvil_log)}") from exc

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
            p256_precompile=p256_precompile,
            entry_point=deployments.entry_point.address,
            factory=deployments.factory.address,
            implementation=deployments.implementation.address,
            webauthn_verifier=deployments.webauthn_verifier.address,
            deployer=deployer,
            bundler_executor=executor,
            bundler_utility=utility,
            funded_keys=tuple(dev_key(k) for k in ANVIL_KEYS[3:]),
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


def _free_port() -> int:
    """A port the OS just handed out for loopback (closed again; the child binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _spawn(
    cmd: Sequence[str], *, log: Path, cwd: Path | None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
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

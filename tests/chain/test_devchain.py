"""The dev chain launcher: canonical addresses, loopback only, clean shutdown, reproducible artifacts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from web3 import Web3

from apps.chain import contracts
from apps.chain.dev import DevChain, start_devchain

ROOT = Path(__file__).resolve().parents[2]


def test_contracts_sit_at_their_deterministic_addresses(devchain: DevChain, w3: Web3) -> None:
    deployments = contracts.lykos_deployments()
    assert devchain.entry_point == contracts.ENTRY_POINT_V08 == deployments.entry_point.address
    assert (devchain.webauthn_verifier, devchain.implementation, devchain.factory) == (
        deployments.webauthn_verifier.address,
        deployments.implementation.address,
        deployments.factory.address,
    )
    for address in (devchain.entry_point, devchain.webauthn_verifier, devchain.implementation, devchain.factory):
        assert len(w3.eth.get_code(address)) > 0
    factory = contracts.bind(w3, "LykosAccountFactory", devchain.factory)
    assert factory.functions.accountImplementation().call() == devchain.implementation
    implementation = contracts.bind(w3, "LykosAccount", devchain.implementation)
    assert implementation.functions.webAuthnVerifier().call() == devchain.webauthn_verifier


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a LISTEN socket on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == "0A":
                found.add(address)
    return found


def test_anvil_and_alto_listen_on_loopback_only(devchain: DevChain) -> None:
    # alto hard-codes 0.0.0.0; the preload must have rewritten it. 0100007F is 127.0.0.1 in /proc's byte order.
    for url in (devchain.rpc_url, devchain.bundler_url):
        port = int(url.split(":")[2].split("/")[0])
        assert _listening_addresses(port) == {"0100007F"}


def test_stop_ends_every_process_it_started() -> None:
    chain = start_devchain(chain_id=31999)
    pids = [p.pid for p in chain._processes]
    assert chain.running and chain.chain_id == 31999 and len(pids) == 2
    chain.stop()
    chain.stop()  # idempotent
    assert not chain.running
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)  # neither the process nor anything left in its group


def test_committed_artifacts_match_a_fresh_build() -> None:
    result = subprocess.run(
        ["node", "contracts/build.mjs", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr

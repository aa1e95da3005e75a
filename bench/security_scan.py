"""Latency of a G0 security scan (simulation + decoding + risk verdict + the stored row) next to the raw tracing
call it is built on, on a local anvil dev chain.

    .venv/bin/python bench/security_scan.py [--scans 200]

Self-contained: starts its own dev chain (anvil + EntryPoint v0.8 + alto) and uses a throw-away SQLite database,
local secrets and the local-memory cache in a temporary directory (set BENCH_REDIS_URL to put the simulation
cache on Redis instead). Every anvil/alto process it starts is stopped on exit. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(n: int, fn: Callable[[int], object]) -> list[float]:
    timings = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=200)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lykos-bench-security-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lykos.settings.dev"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["SECRETS_BACKEND"] = "local"
    os.environ["LOCAL_SECRETS_FILE"] = str(workdir / "secrets.json")
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "")
    os.environ["LOG_LEVEL"] = "WARNING"

    import django

    django.setup()
    from django.core.management import call_command

    from apps.chain.dev import start_devchain

    call_command("migrate", verbosity=0)
    with start_devchain() as devchain:
        run(devchain, args.scans)


def run(devchain, n: int) -> None:  # type: ignore[no-untyped-def]
    from eth_utils import to_checksum_address
    from web3 import Web3

    from apps.chain import contracts
    from apps.chain.clients import get_node_client
    from apps.chain.dev.registry import register
    from apps.chain.models import Chain
    from apps.chain.services import account_create_for_chain
    from apps.chain.userops import Call, encode_execute
    from apps.identity.models import Passkey, User
    from apps.security.services import scan_user_operation

    register(devchain, name="Bench")
    chain = Chain.objects.get(pk=devchain.chain_id)
    user = User.objects.create_user(f"bench_{secrets.token_hex(3)}")
    passkey = Passkey.objects.create(
        user=user,
        credential_id=secrets.token_bytes(32),
        public_key_cose=b"bench",
        public_key_x=secrets.token_bytes(32),
        public_key_y=secrets.token_bytes(32),
    )
    account = account_create_for_chain(user=user, passkey=passkey, chain=chain)

    w3 = Web3(Web3.HTTPProvider(devchain.rpc_url))
    funder = devchain.funded_keys[0].address
    artifact = contracts.load_artifact("LykosTestToken")
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor().transact({"from": funder})
    )
    token = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
    w3.eth.wait_for_transaction_receipt(token.functions.mint(account.address, 10**30).transact({"from": funder}))
    recipient = to_checksum_address("0x" + secrets.token_hex(20))

    def calls(i: int) -> list[Call]:
        data = token.functions.transfer(recipient, 10**18 + i)._encode_transaction_data()
        return [Call(target=token.address, data=bytes.fromhex(data[2:]))]

    node = get_node_client(chain)
    block = node.block_number()
    implementation = chain.account_implementation
    clone = "0x363d3d373d3d3d363d73" + implementation[2:].lower() + "5af43d82803e903d91602b57fd5bf3"

    def raw_trace(i: int) -> object:
        call = {
            "from": chain.entry_point,
            "to": account.address,
            "data": "0x" + encode_execute(calls(i)).hex(),
            "gas": hex(15_000_000),
            "gasPrice": "0x0",
        }
        config = {
            "tracer": "callTracer",
            "tracerConfig": {"withLog": True},
            "stateOverrides": {account.address: {"code": clone}},
        }
        return node.request("debug_traceCall", [call, hex(block), config])

    def scan(i: int) -> object:
        return scan_user_operation(user=user, chain=chain, account=account, calls=calls(i))

    from django.conf import settings

    settings.SECURITY_VELOCITY_MAX_OPERATIONS = 10**9  # a benchmark is not a velocity spike

    measure(10, raw_trace)  # warm-up: connections, caches, the contract-age lookup
    measure(10, lambda i: scan(10**6 + i))
    results = {
        "raw debug_traceCall (callTracer + logs)": measure(n, lambda i: raw_trace(2 * 10**6 + i)),
        "scan_user_operation, cache miss": measure(n, lambda i: scan(3 * 10**6 + i)),
        "scan_user_operation, cache hit": measure(n, lambda i: scan(42)),
    }
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"security scan latency, {n} scans each, anvil {devchain.rpc_url}, cache {cache_backend}, SQLite")
    print(f"{'':42} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples in results.items():
        print(
            f"{name:42} {percentile(samples, 50):8.2f} {percentile(samples, 99):8.2f} {statistics.mean(samples):8.2f}"
        )


if __name__ == "__main__":
    main()

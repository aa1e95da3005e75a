"""Prepare latency (build + G0 scan + sponsorship) over N operations, next to the RPC round trips it needs.

Starts its own dev chain (anvil + EntryPoint v0.8 + alto), uses a PostgreSQL database of its own
(`lykos_bench`, recreated), local secrets and an in-process cache, signs up one user with a software passkey,
and prepares N sponsored operations through the service layer (no HTTP). Every HTTP request the process makes
(node and bundler JSON-RPC) is timed; the "floor" of one prepare is the sum of its own round trips, i.e. what
it would cost if our code took no time at all.

    .venv/bin/python bench/prepare_latency.py [N]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lykos.settings.dev")
os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/lykos_bench"
os.environ["LOCAL_SECRETS_FILE"] = str(Path(tempfile.mkdtemp()) / "bench-secrets.json")
os.environ["SECRETS_BACKEND"] = "local"
os.environ["LOG_LEVEL"] = "WARNING"


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS lykos_bench")
        conn.execute("CREATE DATABASE lykos_bench")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(n: int) -> None:
    recreate_database()
    import django

    django.setup()
    import requests.adapters
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from apps.chain.dev import start_devchain
    from apps.chain.dev.registry import register
    from apps.identity import services as identity
    from apps.paymaster.models import SponsorshipPolicy
    from apps.paymaster.services import transaction_prepare
    from apps.paymaster.signer import paymaster_signer_address
    from tests.support.authenticator import SoftAuthenticator

    round_trips: list[float] = []
    original_send = requests.adapters.HTTPAdapter.send

    def timed_send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original_send(self, request, **kwargs)
        finally:
            round_trips.append(time.perf_counter() - started)

    requests.adapters.HTTPAdapter.send = timed_send  # type: ignore[method-assign]

    with start_devchain(paymaster_signer=paymaster_signer_address()) as chain:
        register(chain, name="Bench")
        SponsorshipPolicy.objects.create(name="Bench", deny_risky_operations=False)
        authenticator = SoftAuthenticator()
        begun = identity.registration_begin(username="bench_user", display_name="", referral_code=None)
        credential = authenticator.create(begun["publicKey"])
        issued = identity.registration_complete(
            ceremony_id=begun["ceremony_id"], credential=credential, device_name="bench", ip_address=None, user_agent=""
        )
        user = issued.session.user
        calls = {"calls": [{"to": "0x000000000000000000000000000000000000dEaD", "value": "0", "data": "0x"}]}

        transaction_prepare(user=user, chain_id=chain.chain_id, intent=calls)  # warm caches and connections
        latencies, floors, trips_per_op = [], [], []
        for i in range(n):
            intent = {"calls": [{**calls["calls"][0], "data": "0x" + i.to_bytes(4, "big").hex()}]}
            round_trips.clear()
            started = time.perf_counter()
            tx = transaction_prepare(user=user, chain_id=chain.chain_id, intent=intent)
            latencies.append(time.perf_counter() - started)
            floors.append(sum(round_trips))
            trips_per_op.append(len(round_trips))
            assert tx.sponsored

    ms = 1000
    print(f"prepare (build + scan + sponsor), {n} sponsored operations, one account, dev chain on loopback")
    print(f"  latency  p50 {percentile(latencies, 50) * ms:7.1f} ms   p99 {percentile(latencies, 99) * ms:7.1f} ms")
    print(f"  RPC floor p50 {percentile(floors, 50) * ms:7.1f} ms   p99 {percentile(floors, 99) * ms:7.1f} ms")
    print(f"  round trips per prepare: {statistics.median(trips_per_op):.0f} (median)")
    overhead = [lat - floor for lat, floor in zip(latencies, floors, strict=True)]
    print(f"  our own time (latency - floor) p50 {percentile(overhead, 50) * ms:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

"""Start the local chain stack (anvil + EntryPoint v0.8 + our contracts + alto), register it, and keep it up.

With `--serve`, Django's development server runs in the foreground beside it (what `make run` uses).
Ctrl-C or SIGTERM stops everything; no anvil or alto process is left behind.

It lives in the paymaster app because the chain it starts trusts the paymaster's signing key: the chain app below
it starts and registers chains and knows nothing of that key.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import WSGIServer

from apps.chain.dev import start_devchain
from apps.chain.dev.registry import register
from apps.paymaster.signer import paymaster_signer_address


def _interrupt(signum: int, frame: object) -> None:
    # The first signal starts the shutdown; later ones (a second Ctrl-C, a supervisor's repeated SIGTERM, make
    # forwarding one while the terminal sends another) must not interrupt it: an interrupted DevChain.stop() is
    # what used to leave alto running. stop() escalates to SIGKILL on its own, so ignoring them costs nothing.
    _shield_from_signals()
    raise KeyboardInterrupt


def _shield_from_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _QueueingWSGIServer(WSGIServer):
    """Django's development server with a listen backlog for a burst of clients: with its 10, the eleventh of
    thirty clients connecting at once was reset by the kernel instead of waiting its turn."""

    request_queue_size = 128


class _Runserver(RunserverCommand):
    server_cls = _QueueingWSGIServer


class Command(BaseCommand):
    help = "Run a local dev chain (anvil + alto + contracts) on loopback and register it; optionally serve the API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain-id", type=int, default=None)
        parser.add_argument("--hardfork", default=None, help="e.g. prague: no P-256 precompile")
        parser.add_argument(
            "--serve", metavar="ADDRPORT", default=None, help="also run the dev server (e.g. 127.0.0.1:8000)"
        )

    def handle(self, *args: Any, chain_id: int | None, hardfork: str | None, serve: str | None, **options: Any) -> None:
        # SIGTERM (make, docker, a supervisor) must run the same cleanup as Ctrl-C; and Ctrl-C must work even when
        # the shell started us with SIGINT ignored (a background job inherits that).
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
        self.stdout.write("Starting anvil, deploying EntryPoint v0.8 and LyKos contracts, starting alto…")
        # The paymaster trusts the signing key our secrets provider holds (generated on first use).
        chain = start_devchain(chain_id=chain_id, hardfork=hardfork, paymaster_signer=paymaster_signer_address())
        try:
            register(chain, name=f"Dev chain {chain.chain_id}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Dev chain {chain.chain_id} ready: rpc {chain.rpc_url}, bundler {chain.bundler_url}, "
                    f"EntryPoint {chain.entry_point}, factory {chain.factory}"
                )
            )
            if serve:
                call_command(_Runserver(), serve, use_reloader=False)
            else:
                threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            # However we got here (a signal, runserver's own exit on Ctrl-C, an error), nothing may cut cleanup short.
            _shield_from_signals()
            chain.stop()
            self.stdout.write("Dev chain stopped.")

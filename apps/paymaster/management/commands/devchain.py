"""Start the local chain stack (anvil + EntryPoint v0.8 + our contracts + alto), register it, and keep it up.

With `--serve`, Django's development server runs in the foreground beside it (what `make run` uses).
Ctrl-C or SIGTERM stops everything; no anvil or alto process is left behind.

It lives in the paymaster app because the chain it starts trusts the paymaster's signing key: the chain app below
it starts and registers chains and knows nothing of that key.
"""

from __future__ import annotations

import queue
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


class _PooledWSGIServer(WSGIServer):
    """Django's development server with a fixed pool of request threads and a listen backlog for a burst.

    Django's threaded server starts a thread per connection: thirty busy clients are thirty threads fighting over
    one GIL and SQLite's one write lock, whose waiters poll (sleeping up to 100 ms between tries, first come not
    first served), so under load a request could wait past the busy timeout and fail with "database is locked".
    A few threads keep lock holds short and leave the rest queued in the kernel, where waiting costs nothing; the
    backlog of 128 (Django's is 10) is what keeps the eleventh of thirty simultaneous connects from being reset.
    Not a ThreadingMixIn, so Django closes each connection after its response: no client can pin a thread.
    """

    request_queue_size = 128
    workers = 8

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._accepted: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()
        for number in range(self.workers):
            # Daemon threads: a request still running must not keep the process (and make run's exit) waiting.
            threading.Thread(target=self._serve, name=f"runserver-{number}", daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        self._accepted.put((request, client_address))

    def _serve(self) -> None:
        while True:
            request, client_address = self._accepted.get()
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)


class _Runserver(RunserverCommand):
    server_cls = _PooledWSGIServer


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
                call_command(_Runserver(), serve, use_reloader=False, use_threading=False)  # the pool threads
            else:
                threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            # However we got here (a signal, runserver's own exit on Ctrl-C, an error), nothing may cut cleanup short.
            _shield_from_signals()
            chain.stop()
            self.stdout.write("Dev chain stopped.")

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.chain.services import chain_upsert


class Command(BaseCommand):
    help = "Register or update a chain in the registry (node RPC, bundler, EntryPoint, factory, paymaster)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain-id", type=int, required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--rpc-url", required=True)
        parser.add_argument("--bundler-url", required=True)
        parser.add_argument("--entry-point", required=True)
        parser.add_argument("--account-factory", required=True)
        parser.add_argument("--paymaster", default="")
        parser.add_argument("--native-symbol", default="ETH")
        parser.add_argument("--explorer-url", default="")
        parser.add_argument("--disabled", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        chain = chain_upsert(
            chain_id=o["chain_id"],
            name=o["name"],
            rpc_url=o["rpc_url"],
            bundler_url=o["bundler_url"],
            entry_point=o["entry_point"],
            account_factory=o["account_factory"],
            paymaster=o["paymaster"],
            native_symbol=o["native_symbol"],
            explorer_url=o["explorer_url"],
            enabled=not o["disabled"],
        )
        self.stdout.write(self.style.SUCCESS(f"Registered {chain}."))

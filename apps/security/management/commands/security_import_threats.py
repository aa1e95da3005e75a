"""Import a threat list (CSV or JSON) into the security app. Idempotent: re-importing the same file changes
nothing and says so. Invalid rows are reported by line and skipped; the import never half-applies a row.

CSV columns: address, category[, chain_id][, source][, note] (header row required).
JSON: a list of objects with the same keys, or {"entries": [...]}.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from apps.chain import values
from apps.chain.selectors import chain_list
from apps.security.models import ThreatListEntry
from apps.security.services import threat_entry_upsert
from apps.security.tasks import threat_list_rescan_task

if TYPE_CHECKING:
    from apps.chain.models import Chain


def read_rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if fmt == "json":
        data = json.loads(text)
        rows = data["entries"] if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise CommandError('JSON must be a list of entries or {"entries": [...]}')
        return rows
    return list(csv.DictReader(text.splitlines()))


class Command(BaseCommand):
    help = "Import threat-list entries (known-malicious or sanctioned addresses) from a CSV or JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["csv", "json"], default=None, help="default: from the extension")
        parser.add_argument("--source", default=None, help="source name for rows that have none (default: file name)")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar (logs, CI).")
        parser.add_argument("--no-rescan", action="store_true", help="Do not queue the re-scoring of recent scans.")

    def handle(
        self,
        *args: Any,
        path: Path,
        format: str | None,
        source: str | None,
        no_progress: bool,
        no_rescan: bool,
        **options: Any,
    ) -> None:
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        fmt = format or ("json" if path.suffix.lower() == ".json" else "csv")
        try:
            rows = read_rows(path, fmt)
        except (ValueError, KeyError) as exc:
            raise CommandError(f"cannot read {path} as {fmt}: {exc}") from exc
        default_source = source or path.name
        chains = {c.chain_id: c for c in chain_list(enabled_only=False)}
        counts = {"created": 0, "updated": 0, "unchanged": 0, "invalid": 0}
        for line, row in enumerate(tqdm(rows, desc="threat list", unit="row", disable=no_progress), start=1):
            problem = self._problem(row, chains)
            if problem:
                counts["invalid"] += 1
                self.stderr.write(f"row {line}: {problem}; skipped")
                continue
            chain_id = str(row.get("chain_id") or "").strip()
            with transaction.atomic():
                _, outcome = threat_entry_upsert(
                    address=row["address"].strip(),
                    category=row["category"].strip().lower(),
                    source=(row.get("source") or default_source).strip(),
                    chain=chains[values.chain_id_parse(chain_id)] if chain_id else None,
                    note=(row.get("note") or "").strip(),
                )
            counts[outcome] += 1
        if (counts["created"] or counts["updated"]) and not no_rescan:
            transaction.on_commit(lambda: threat_list_rescan_task.delay())
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(rows)} row(s): {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged, {counts['invalid']} invalid."
            )
        )

    @staticmethod
    def _problem(row: Any, chains: dict[int, Chain]) -> str:
        if not isinstance(row, dict):
            return "not an object"
        address = str(row.get("address") or "").strip()
        try:
            values.address_parse(address)
        except values.EvmValueError as exc:
            return f"not an address: {address!r} ({exc.message})"
        category = str(row.get("category") or "").strip().lower()
        if category not in ThreatListEntry.Category.values:
            return f"unknown category {category!r} (one of {', '.join(ThreatListEntry.Category.values)})"
        chain_id = str(row.get("chain_id") or "").strip()
        try:
            known = not chain_id or values.chain_id_parse(chain_id) in chains
        except values.EvmValueError:
            known = False
        if not known:
            return f"unknown chain {chain_id!r}"
        return ""

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from tqdm import tqdm

from lykos.crypto import EncryptedToken, StoredCiphertext, encrypted_fields, rewrap_token
from lykos.secrets import get_secrets_provider, wrapped_key_version


class Command(BaseCommand):
    help = (
        "After a master-key rotation, re-wrap every encrypted value's data key under the newest key version. "
        "Ciphertexts are untouched; safe to run again (values already current are skipped)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar (logs, CI).")

    def handle(self, *args: object, batch_size: int, no_progress: bool, **options: object) -> None:
        provider = get_secrets_provider()
        latest = provider.master_key_version()
        rewrapped = current = 0
        for field in encrypted_fields():
            model = field.model
            queryset = model._default_manager.exclude(**{f"{field.attname}__isnull": True})
            pks = list(queryset.values_list("pk", flat=True))
            label = f"{model._meta.label}.{field.name}"
            for start in tqdm(range(0, len(pks), batch_size), desc=label, disable=no_progress, unit="batch"):
                with transaction.atomic():
                    # Lock the batch so a concurrent save cannot be overwritten with the old value re-wrapped.
                    rows = (
                        model._default_manager.select_for_update()
                        .filter(pk__in=pks[start : start + batch_size])
                        .values_list("pk", field.attname)
                    )
                    for pk, token in rows:
                        if token is None:
                            continue
                        parsed = EncryptedToken.parse(token)
                        # A value under its owner's key is not wrapped by the master key: nothing to move.
                        if parsed.owner is not None or wrapped_key_version(parsed.wrapped_key) >= latest:
                            current += 1
                            continue
                        new_token = rewrap_token(token, provider=provider)
                        model._default_manager.filter(pk=pk).update(**{field.attname: StoredCiphertext(new_token)})
                        rewrapped += 1
        self.stdout.write(
            self.style.SUCCESS(f"Re-wrapped {rewrapped} value(s) to key version {latest}; {current} already current.")
        )

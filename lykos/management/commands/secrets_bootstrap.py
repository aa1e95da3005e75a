from django.core.management.base import BaseCommand

from lykos.secrets import VaultSecretsProvider, get_secrets_provider


class Command(BaseCommand):
    help = "Prepare the secrets provider: enable Transit and create the field key (Vault), or the local key file."

    def handle(self, *args: object, **options: object) -> None:
        provider = get_secrets_provider()
        if isinstance(provider, VaultSecretsProvider):
            provider.bootstrap()
        provider.check()
        self.stdout.write(
            self.style.SUCCESS(
                f"Secrets provider '{provider.name}' ready (master key v{provider.master_key_version()})."
            )
        )

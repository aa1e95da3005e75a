from django.apps import AppConfig


class ChainConfig(AppConfig):
    """The one place that speaks JSON-RPC, knows ABIs and addresses. Product apps call its services."""

    name = "apps.chain"
    label = "chain"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.chain import services
        from apps.identity.services import signup_hook_register
        from lykos.health import register_readiness_check

        register_readiness_check("chain_rpc", services.readiness_chain_rpc)
        register_readiness_check("bundler", services.readiness_bundler)
        signup_hook_register(services.accounts_on_signup)

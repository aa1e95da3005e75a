from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from apps.identity.models import Passkey, User


class ChainConfig(AppConfig):
    """The one place that speaks JSON-RPC, knows ABIs and addresses. Product apps call its services."""

    name = "apps.chain"
    label = "chain"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.chain import services
        from apps.identity.signals import user_registered
        from lykos.health import register_readiness_check

        register_readiness_check("chain_rpc", services.readiness_chain_rpc)
        register_readiness_check("bundler", services.readiness_bundler)
        user_registered.connect(_accounts_on_signup, dispatch_uid="chain.accounts_on_signup")


def _accounts_on_signup(sender: type, *, user: User, passkey: Passkey, **kwargs: Any) -> None:
    from apps.chain.services import accounts_on_signup

    accounts_on_signup(user=user, passkey=passkey)

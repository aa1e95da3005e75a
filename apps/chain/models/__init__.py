"""Chain models, one module per concern, re-exported here for Django and for imports."""

from apps.chain.models.accounts import Account
from apps.chain.models.chains import Chain, Token

__all__ = ["Account", "Chain", "Token"]

"""The OpenID Connect RS256 signing keys, kept in the secrets provider and rotated without breaking tokens.

The keyring is `{"current": <name>, <name>: <PEM>, ...}` in the secrets provider. The toolkit reads its keys
from `oauth2_settings`, so `oidc_keys_apply()` copies the current key and the still-published older ones there
before any view that signs or publishes keys runs. Rotation adds a key and makes it current; older keys stay
in the JWKS (`OIDC_RSA_PRIVATE_KEYS_INACTIVE`) until pruned, so id_tokens already issued keep verifying.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa
from oauth2_provider.settings import oauth2_settings

from lykos.keyring import Keyring

KEYRING_SECRET = "oidc-rsa-keys"
_keyring = Keyring(
    secret_name=KEYRING_SECRET, new_private_key=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
)


def oidc_keyring(*, force: bool = False) -> dict[str, str]:
    return _keyring.load(force=force)


def oidc_keys_apply(*, force: bool = False) -> None:
    ring = oidc_keyring(force=force)
    current = ring["current"]
    oauth2_settings.OIDC_RSA_PRIVATE_KEY = ring[current]
    oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE = [
        pem for name, pem in sorted(ring.items()) if name not in {"current", current}
    ]


def oidc_key_rotate(*, keep: int = 3) -> str:
    """Make a new key current; keep the `keep` newest keys published. Returns the new key's name."""
    name = _keyring.rotate(keep=keep)
    oidc_keys_apply(force=True)
    return name

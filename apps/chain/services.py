"""Chain writes and rules: the registry, users' smart accounts, readiness of nodes and bundlers."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from eth_utils import to_checksum_address

from apps.chain.audit import ChainAuditEvent
from apps.chain.clients import BundlerClient, NodeClient, get_node_client
from apps.chain.errors import ChainUnavailable, evm_value_refused
from apps.chain.models import Account, Chain, Token
from apps.chain.values import EvmValueError, address_parse
from lykos.audit.services import audit_record

if TYPE_CHECKING:
    from apps.identity.models import Passkey, User

logger = logging.getLogger(__name__)

# Each user's first account uses salt 0: one account per initial passkey, the same address on every chain.
DEFAULT_ACCOUNT_SALT = 0


def _address(value: str, field: str) -> str:
    if not value:
        return ""
    try:
        return address_parse(value)
    except EvmValueError as exc:
        raise evm_value_refused(exc, field=field) from exc


@transaction.atomic
def chain_upsert(
    *,
    chain_id: int,
    name: str,
    rpc_url: str,
    bundler_url: str,
    entry_point: str,
    account_factory: str,
    account_implementation: str = "",
    webauthn_verifier: str = "",
    paymaster: str = "",
    p256_precompile: bool = True,
    native_symbol: str = "ETH",
    native_decimals: int = 18,
    explorer_url: str = "",
    enabled: bool = True,
) -> Chain:
    """Register or update a chain (dev-chain command, `chain_register`, the admin)."""
    values = {
        "name": name,
        "rpc_url": rpc_url,
        "bundler_url": bundler_url,
        "entry_point": _address(entry_point, "entry_point"),
        "account_factory": _address(account_factory, "account_factory"),
        "account_implementation": _address(account_implementation, "account_implementation"),
        "webauthn_verifier": _address(webauthn_verifier, "webauthn_verifier"),
        "paymaster": _address(paymaster, "paymaster"),
        "p256_precompile": p256_precompile,
        "native_symbol": native_symbol,
        "native_decimals": native_decimals,
        "explorer_url": explorer_url,
        "enabled": enabled,
    }
    existing = Chain.objects.select_for_update().filter(chain_id=chain_id).first()
    old = {k: getattr(existing, k) for k in values} if existing else None
    chain, _ = Chain.objects.update_or_create(chain_id=chain_id, defaults=values)
    if old != values:
        audit_record(event_type=ChainAuditEvent.CHAIN_REGISTERED, subject=chain, old_values=old, new_values=values)
    return chain


@transaction.atomic
def token_upsert(*, chain: Chain, address: str, symbol: str, decimals: int) -> Token:
    token, _ = Token.objects.update_or_create(
        chain=chain, address=_address(address, "address"), defaults={"symbol": symbol, "decimals": decimals}
    )
    return token


def _key_bytes(value: bytes | memoryview) -> bytes:
    return bytes(value).rjust(32, b"\0")


def account_create_for_chain(*, user: User, passkey: Passkey, chain: Chain, node: NodeClient | None = None) -> Account:
    """Record the counterfactual account for `passkey` on `chain`, asking the chain's factory for the address."""
    existing = Account.objects.filter(user=user, chain=chain).first()
    if existing is not None:
        return existing
    node = node or get_node_client(chain)
    address = node.factory_account_address(
        factory=chain.account_factory,
        qx=_key_bytes(passkey.public_key_x),
        qy=_key_bytes(passkey.public_key_y),
        salt=DEFAULT_ACCOUNT_SALT,
    )
    with transaction.atomic():
        account = Account.objects.create(
            user=user,
            chain=chain,
            address=address,
            initial_owner=passkey,
            salt=DEFAULT_ACCOUNT_SALT,
            owners=[str(passkey.id)],
        )
        audit_record(
            event_type=ChainAuditEvent.ACCOUNT_DERIVED, actor=user, subject=account, new_values={"address": address}
        )
    return account


def accounts_on_signup(*, user: User, passkey: Passkey) -> None:
    """Sign-up hook: derive the account on every enabled chain now; a chain that is down is retried by a task.

    A node outage must not block sign-up: the address is a pure function of the factory and the key, so it can
    be filled in later without the user doing anything.
    """
    missing = False
    for chain in Chain.objects.filter(enabled=True):
        try:
            account_create_for_chain(user=user, passkey=passkey, chain=chain)
        except ChainUnavailable:
            logger.warning(
                "chain unavailable at sign-up; account derivation deferred", extra={"chain_id": chain.chain_id}
            )
            missing = True
    if missing:
        from apps.chain.tasks import sync_accounts_task

        transaction.on_commit(lambda: sync_accounts_task.delay(str(user.id)))


def accounts_sync(*, user: User) -> list[Account]:
    """Idempotent: derive any missing account (first passkey) and refresh deployment status."""
    first = user.passkeys.order_by("created_at").first()
    if first is None:
        return []
    accounts = []
    for chain in Chain.objects.filter(enabled=True):
        account = account_create_for_chain(user=user, passkey=first, chain=chain)
        account_refresh_deployment(account=account)
        accounts.append(account)
    return accounts


def account_refresh_deployment(*, account: Account, node: NodeClient | None = None) -> Account:
    if account.deployed:
        return account
    node = node or get_node_client(account.chain)
    if node.is_deployed(account.address):
        account_mark_deployed(account_id=account.pk)
        account.refresh_from_db()
    return account


def account_mark_deployed(*, account_id: uuid.UUID) -> bool:
    """Record that the account's code is on-chain (its first operation landed). Idempotent; True if it changed."""
    return bool(Account.objects.filter(pk=account_id, deployed=False).update(deployed=True, deployed_at=timezone.now()))


def account_lock(*, account_id: uuid.UUID) -> Account:
    """Lock the account row for the caller's transaction: decisions that depend on the account's nonce or owners
    (preparing an operation, applying an owner change) are serialised per account across processes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("account_lock needs the caller's transaction")
    return Account.objects.select_for_update().get(pk=account_id)


def account_owner_apply(*, account_id: uuid.UUID, device_id: str, add: bool) -> list[str]:
    """Mirror an owner change that landed on-chain: the account's owners (device ids) gain or lose `device_id`.

    Called only from a receipt (the chain is the ledger); idempotent, so a re-processed receipt changes nothing.
    Returns the owners after the change.
    """
    with transaction.atomic():
        account = account_lock(account_id=account_id)
        old = [str(o) for o in account.owners]
        owners = [o for o in old if o != str(device_id)] + ([str(device_id)] if add else [])
        if owners != old:
            account.owners = owners
            account.save(update_fields=["owners"])
            audit_record(
                event_type=ChainAuditEvent.ACCOUNT_OWNERS_CHANGED,
                subject=account,
                old_values={"owners": old},
                new_values={"owners": owners},
            )
    return owners


# --- readiness ------------------------------------------------------------------------------------------


def readiness_chain_rpc() -> None:
    for chain in Chain.objects.filter(enabled=True):
        reported = NodeClient(rpc_url=chain.rpc_url, timeout=2, retries=0).chain_id()
        if reported != chain.chain_id:
            raise RuntimeError(f"chain {chain.chain_id}: node reports chain id {reported}")


def readiness_bundler() -> None:
    for chain in Chain.objects.filter(enabled=True):
        entry_points = BundlerClient(url=chain.bundler_url, timeout=2, retries=0).supported_entry_points()
        if to_checksum_address(chain.entry_point) not in entry_points:
            raise RuntimeError(f"chain {chain.chain_id}: bundler does not serve EntryPoint {chain.entry_point}")

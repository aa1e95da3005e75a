"""Signing a prepared operation with a passkey: the WebAuthn assertion's challenge is the userOpHash.

The row lock on the transaction makes signing a one-time transition (prepared -> signed), so two devices racing
cannot both sign; submission follows at once.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.db import transaction
from django.utils import timezone
from webauthn.helpers import base64url_to_bytes

from apps.chain import userops
from apps.chain.userops import UserOperation
from apps.identity.errors import PossibleClone
from apps.identity.selectors import device_active_by_ids
from apps.identity.services import authentication_options, passkey_assertion_verify
from apps.paymaster.audit import PaymasterAuditEvent
from apps.paymaster.errors import DeviceNotAccountOwner, PrepareExpired, TransactionNotSignable
from apps.paymaster.models import Transaction
from apps.paymaster.services.builder import owner_signer_bytes
from apps.paymaster.services.closing import transaction_expire
from apps.paymaster.services.submission import transaction_submit
from apps.security import services as security
from lykos.audit.services import audit_record
from lykos.errors import NotFound

if TYPE_CHECKING:
    from apps.identity.models import Passkey, User


def _owner_ids(tx: Transaction) -> set[str]:
    return {str(o) for o in tx.account.owners}


def transaction_signing_options(*, tx: Transaction) -> dict[str, Any]:
    """`navigator.credentials.get` options whose challenge is the userOpHash, for the account's owner devices."""
    devices = device_active_by_ids(user=tx.user, device_ids=_owner_ids(tx))
    return authentication_options(
        allow=[bytes(d.credential_id) for d in devices], challenge=bytes.fromhex(tx.user_op_hash[2:])
    )


def account_signature(*, tx: Transaction, passkey: Passkey, credential: dict[str, Any]) -> bytes:
    """The account's signature: the passkey's ERC-7913 signer and its WebAuthn assertion, in the contract's layout."""
    response = credential["response"]
    r, s = decode_dss_signature(base64url_to_bytes(response["signature"]))
    webauthn_signature = userops.encode_webauthn_signature(
        authenticator_data=base64url_to_bytes(response["authenticatorData"]),
        client_data_json=base64url_to_bytes(response["clientDataJSON"]),
        r=r,
        s=s,  # normalised to low-s: browsers emit either half, the account accepts only the low one
    )
    signer = owner_signer_bytes(chain=tx.chain, passkey=passkey)
    return userops.encode_account_signature(signer=signer, webauthn_signature=webauthn_signature)


def transaction_sign(*, user: User, transaction_id: uuid.UUID, credential: dict[str, Any]) -> Transaction:
    """Check the passkey's assertion over the userOpHash, attach the account signature, and submit."""
    with transaction.atomic():
        tx = (
            Transaction.objects.select_for_update()
            .select_related("chain", "account")
            .filter(user=user, pk=transaction_id)
            .first()
        )
        if tx is None:
            raise NotFound("No such transaction.")
        if tx.status != Transaction.Status.PREPARED:
            raise TransactionNotSignable(details={"status": tx.status})
        expired = tx.expires_at <= timezone.now()
        clone: PossibleClone | None = None
        if not expired:
            security.ensure_not_frozen(user=user)
            try:
                passkey = passkey_assertion_verify(
                    user=user, credential=credential, challenge=bytes.fromhex(tx.user_op_hash[2:])
                )
            except PossibleClone as exc:
                clone = exc  # leave the block normally so the device flag and security event are committed
        if clone is None and not expired:
            if str(passkey.id) not in _owner_ids(tx):
                raise DeviceNotAccountOwner()
            op = UserOperation.from_rpc(tx.user_op).replace(
                signature=account_signature(tx=tx, passkey=passkey, credential=credential)
            )
            tx.user_op = op.to_rpc()
            tx.status, tx.signed_at, tx.signed_by = Transaction.Status.SIGNED, timezone.now(), passkey
            tx.save(update_fields=["user_op", "status", "signed_at", "signed_by"])
            audit_record(
                event_type=PaymasterAuditEvent.TRANSACTION_SIGNED,
                actor=user,
                subject=tx,
                new_values={"device": str(passkey.id)},
            )
    if clone is not None:
        raise clone
    if expired:
        transaction_expire(transaction_id=tx.id)
        raise PrepareExpired()
    return transaction_submit(transaction_id=tx.id)

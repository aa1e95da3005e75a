"""Device owner changes on-chain: a passkey added to (or revoked from) a user is an owner change of their account.

The change is an ordinary operation (`addOwner` / `removeOwner` on the account itself) signed by a device that
already owns the account. Until it lands, a new device cannot sign for the account and a revoked one still can
on-chain; our mirror of the owners changes only when the receipt says it landed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from apps.chain import userops
from apps.chain.selectors import account_list
from apps.chain.services import account_owner_apply
from apps.chain.userops import Call
from apps.identity.selectors import device_active_by_ids
from apps.paymaster.errors import DeviceNotAddable
from apps.paymaster.models import Transaction
from apps.paymaster.services.prepare import chain_account_get, transaction_prepare

if TYPE_CHECKING:
    from apps.identity.models import Passkey, User

logger = logging.getLogger(__name__)

_OWNER_PURPOSES = (Transaction.Purpose.OWNER_ADD, Transaction.Purpose.OWNER_REMOVE)
# A waiting owner change is handed out again only with this much time left to touch the passkey and submit it.
_SIGNING_MARGIN = timedelta(seconds=30)


def device_owner_change_prepare(*, user: User, device: Passkey, chain_id: int, add: bool) -> Transaction:
    """Prepare the account operation that adds (or removes) `device`'s key as an owner on one chain, to be signed
    by the oldest active device that owns the account already. Only an active passkey may become an owner: a
    revoked one stays revoked, a flagged one (a possible clone) is locked until staff review it."""
    if add and device.status != "active":
        raise DeviceNotAddable(details={"status": device.status})
    _, account = chain_account_get(user=user, chain_id=chain_id)
    purpose = Transaction.Purpose.OWNER_ADD if add else Transaction.Purpose.OWNER_REMOVE
    waiting = _waiting_owner_change(account_id=account.pk, device=device, purpose=purpose)
    if waiting is not None:
        return waiting
    x, y = device.public_key_xy
    function = "addOwner" if add else "removeOwner"
    call = Call(
        target=account.address, data=userops.encode_self_call(function, x.to_bytes(32, "big"), y.to_bytes(32, "big"))
    )
    signer = device_active_by_ids(user=user, device_ids=[str(o) for o in account.owners]).first()
    return transaction_prepare(
        user=user,
        chain_id=chain_id,
        intent={"owner_change": {"device": str(device.id), "action": function}},
        calls=[call],
        purpose=purpose,
        subject_device=device,
        device_id=signer.id if signer else None,
    )


def _waiting_owner_change(*, account_id: uuid.UUID, device: Passkey, purpose: str) -> Transaction | None:
    """The same owner change, prepared and unsigned, with time left to sign it: the device signal prepares one,
    and a client asking again (the devices page, a retry) gets that one. Preparing it anew would build the very
    same operation while the chain has not moved (same nonce, same paymaster window), whose live userOpHash and
    sponsorship reservation already exist."""
    return (
        Transaction.objects.filter(
            account_id=account_id,
            subject_device=device,
            purpose=purpose,
            status=Transaction.Status.PREPARED,
            expires_at__gt=timezone.now() + _SIGNING_MARGIN,
        )
        .order_by("-created_at")
        .first()
    )


def device_owner_changes_prepare(*, passkey: Passkey, added: bool) -> None:
    """A device was added or revoked (identity sends this after commit): prepare the owner change on every chain
    where the account's owners do not match yet. The user signs it with a device that already owns the account."""
    for account in account_list(user=passkey.user):
        is_owner = str(passkey.id) in {str(o) for o in account.owners}
        if added == is_owner:
            continue  # nothing to change on this chain
        if not added and _removal_in_flight(account_id=account.pk, device=passkey):
            continue  # the revocation ceremony signed it already (services.revocation)
        try:
            device_owner_change_prepare(user=passkey.user, device=passkey, chain_id=account.chain_id, add=added)
        except Exception:  # the client can prepare it again through the API; never fail the device change
            logger.exception("owner change not prepared", extra={"chain_id": account.chain_id})


def _removal_in_flight(*, account_id: uuid.UUID, device: Passkey) -> bool:
    return Transaction.objects.filter(
        account_id=account_id,
        subject_device=device,
        purpose=Transaction.Purpose.OWNER_REMOVE,
        status__in=(Transaction.Status.SIGNED, Transaction.Status.SUBMITTED),
    ).exists()


def owner_change_landed(*, tx: Transaction) -> None:
    """Mirror a landed owner change into the account's owners, inside the receipt's transaction: the mirror is
    part of settling the receipt, so both commit or neither does. Other operations change nothing."""
    if tx.purpose not in _OWNER_PURPOSES or tx.subject_device_id is None:
        return
    account_owner_apply(
        account_id=tx.account_id,
        device_id=str(tx.subject_device_id),
        add=tx.purpose == Transaction.Purpose.OWNER_ADD,
    )

"""Revoking a device so that the revocation reaches the chain, in one passkey ceremony.

- `device_revocation_begin`: prepare the removal of the device's key on every chain where the account still
  lists it (sponsored by the system's owner-change policy), commit to all of them with the Merkle root of their
  userOpHashes, and answer WebAuthn request options whose challenge is that root.
- `device_revocation_complete`: the assertion over the root is the step-up for `device_revoke` *and* the owner
  signature of every removal (each op carries its Merkle proof, `LykosAccount._validateUserOp`): the device is
  revoked off-chain at once (identity ends its sessions) and the removals are sent.
- `owner_removals_reconcile` (beat): the node, not the bundler, says whether a removal landed; one that did not
  is sent again with its stored signature, which stays valid for `OWNER_REMOVAL_VALIDITY_SECONDS`.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.chain import userops
from apps.chain.clients import get_bundler_client, get_node_client
from apps.chain.errors import BundlerError, BundlerUnavailable, ChainUnavailable
from apps.chain.selectors import account_list
from apps.chain.services import account_owner_apply
from apps.chain.userops import Call, UserOperation
from apps.identity import services as identity
from apps.identity.errors import ChallengeInvalid, LastDevice
from apps.identity.selectors import device_active_list, device_get
from apps.paymaster.audit import PaymasterAuditEvent
from apps.paymaster.errors import (
    DeviceNotAccountOwner,
    NoOwnerDevice,
    PrepareExpired,
    RevocationInFlight,
    TransactionNotSignable,
)
from apps.paymaster.models import Transaction
from apps.paymaster.services.closing import transaction_expire
from apps.paymaster.services.prepare import transaction_prepare
from apps.paymaster.services.signing import account_signature
from apps.paymaster.services.submission import transaction_submit, transaction_track
from lykos.audit.services import audit_record
from lykos.errors import NotFound

if TYPE_CHECKING:
    from apps.chain.models import Account
    from apps.identity.models import Passkey, User

logger = logging.getLogger(__name__)

CEREMONY = "device_revoke"
_LIVE = (Transaction.Status.SIGNED, Transaction.Status.SUBMITTED)
_REVOKED = "revoked"


@dataclass
class RevocationStatus:
    """Where a device's revocation stands: `active`/`flagged` (not revoked), `revoking` (revoked off-chain, some
    chain still lists its key as an owner), `revoked` (no chain does). `chains_pending` are those chains;
    `needs_signature` those whose removal can no longer land as signed (its validity ended, or the bundler refused
    it) and wait for the next revocation ceremony."""

    device: Passkey
    status: str
    chains_pending: list[int] = field(default_factory=list)
    needs_signature: list[int] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)


def _key_bytes(device: Passkey) -> tuple[bytes, bytes]:
    x, y = device.public_key_xy
    return x.to_bytes(32, "big"), y.to_bytes(32, "big")


def _listing_accounts(device: Passkey) -> list[Account]:
    """Deployed accounts whose owners (as last observed on-chain) still include the device. An undeployed account
    has no owners on-chain yet; its deployment makes only the initial passkey an owner."""
    return [a for a in account_list(user=device.user) if a.deployed and str(device.id) in {str(o) for o in a.owners}]


def _latest_removal(*, account: Account, device: Passkey) -> Transaction | None:
    return (
        Transaction.objects.filter(account=account, subject_device=device, purpose=Transaction.Purpose.OWNER_REMOVE)
        .order_by("-created_at")
        .first()
    )


def _removal_landable(tx: Transaction | None) -> bool:
    """A removal that may still land as signed: in flight, and its validity (paymaster window) not over."""
    return tx is not None and tx.status in _LIVE and tx.expires_at > timezone.now()


def device_revocation_status(*, device: Passkey) -> RevocationStatus:
    if device.status != _REVOKED:
        return RevocationStatus(device=device, status=device.status)
    pending, needs, txs = [], [], []
    for account in _listing_accounts(device):
        pending.append(account.chain_id)
        tx = _latest_removal(account=account, device=device)
        if tx is not None:
            txs.append(tx)
        if not _removal_landable(tx):
            needs.append(account.chain_id)
    return RevocationStatus(
        device=device,
        status="revoking" if pending else _REVOKED,
        chains_pending=pending,
        needs_signature=needs,
        transactions=txs,
    )


def _removal_prepare(*, user: User, device: Passkey, account: Account, proof_depth: int) -> Transaction:
    x, y = _key_bytes(device)
    call = Call(target=account.address, data=userops.encode_self_call("removeOwner", x, y))
    return transaction_prepare(
        user=user,
        chain_id=account.chain_id,
        intent={"owner_change": {"device": str(device.id), "action": "removeOwner", "ceremony": CEREMONY}},
        calls=[call],
        purpose=Transaction.Purpose.OWNER_REMOVE,
        subject_device=device,
        validity_seconds=settings.OWNER_REMOVAL_VALIDITY_SECONDS,
        signature_proof_depth=proof_depth,
    )


def _proof_depth(leaves: int) -> int:
    """The deepest proof `userops.merkle_tree` gives for this many leaves (ceil(log2(n)))."""
    return (leaves - 1).bit_length()


def device_revocation_begin(*, user: User, session_id: uuid.UUID, device_id: uuid.UUID) -> dict[str, Any]:
    """Prepare the removals and the ceremony that signs them all. A device still active (or flagged) is revoked by
    the ceremony; a revoked one whose removal can no longer land is signed again by it."""
    device = device_get(user=user, device_id=device_id)
    if device is None:
        raise NotFound("No such device.")
    if device.status != _REVOKED and not device_active_list(user=user).exclude(pk=device.pk).exists():
        raise LastDevice()
    accounts = _listing_accounts(device)
    if device.status == _REVOKED:
        accounts = [a for a in accounts if not _removal_landable(_latest_removal(account=a, device=device))]
        if not accounts:
            raise RevocationInFlight(details={"chains_pending": device_revocation_status(device=device).chains_pending})
    signers = [
        d
        for d in device_active_list(user=user)
        if all(str(d.id) in {str(o) for o in a.owners} for a in accounts) and d.pk != device.pk
    ]
    if not signers:
        raise NoOwnerDevice(details={"chains": [a.chain_id for a in accounts]})
    depth = _proof_depth(len(accounts)) if accounts else 0
    txs = [_removal_prepare(user=user, device=device, account=a, proof_depth=depth) for a in accounts]
    # No removal to sign (the device never became an owner on-chain): the ceremony still authorises the revoke.
    challenge = userops.merkle_tree([bytes.fromhex(t.user_op_hash[2:]) for t in txs])[0] if txs else None
    challenge = challenge or secrets.token_bytes(32)
    ceremony_id = identity.ceremony_start(
        ceremony=CEREMONY,
        challenge=challenge,
        bound_to={
            "user_id": str(user.id),
            "session_id": str(session_id),
            "device_id": str(device.id),
            "transactions": ",".join(str(t.id) for t in txs),
        },
    )
    options = identity.authentication_options(allow=[bytes(d.credential_id) for d in signers], challenge=challenge)
    return {
        "ceremony_id": ceremony_id,
        "public_key": options,
        "chains": [a.chain_id for a in accounts],
        "user_op_hashes": [t.user_op_hash for t in txs],
    }


def device_revocation_complete(
    *, user: User, session_id: uuid.UUID, device_id: uuid.UUID, ceremony_id: str, credential: dict[str, Any]
) -> RevocationStatus:
    """One assertion: revoke the device off-chain now and sign every removal; the removals go out after commit."""
    pending = identity.ceremony_consume(ceremony_id=ceremony_id, ceremony=CEREMONY)
    bound = pending.bound_to
    if (bound.get("user_id"), bound.get("session_id"), bound.get("device_id")) != (
        str(user.id),
        str(session_id),
        str(device_id),
    ):
        raise ChallengeInvalid()
    # The step-up for `device_revoke`, over the removals' root. Outside any transaction: a counter regression's
    # flag and security event commit although we refuse.
    signer = identity.step_up_confirm(
        user=user,
        session_id=session_id,
        action=identity.StepUpAction.DEVICE_REVOKE,
        challenge=pending.challenge,
        credential=credential,
    )
    tx_ids = [uuid.UUID(t) for t in bound.get("transactions", "").split(",") if t]
    with transaction.atomic():
        rows = Transaction.objects.select_for_update().select_related("chain", "account").filter(user=user)
        by_id = {t.id: t for t in rows.filter(pk__in=tx_ids)}
        if len(by_id) != len(tx_ids):
            raise ChallengeInvalid()
        txs = [by_id[t] for t in tx_ids]  # the leaves in the order the root was built from
        leaves = [bytes.fromhex(t.user_op_hash[2:]) for t in txs]
        root, proofs = userops.merkle_tree(leaves) if leaves else (pending.challenge, [])
        if root != pending.challenge:
            raise ChallengeInvalid()
        for tx, proof in zip(txs, proofs, strict=True):
            _removal_sign(tx=tx, signer=signer, credential=credential, proof=proof, user=user)
        device = identity.device_revoke(user=user, device_id=device_id)
        submit_ids = [tx.id for tx in txs]
        transaction.on_commit(lambda: _submit_all(submit_ids))
    return device_revocation_status(device=device)


def _removal_sign(
    *, tx: Transaction, signer: Passkey, credential: dict[str, Any], proof: list[bytes], user: User
) -> None:
    if tx.status != Transaction.Status.PREPARED:
        raise TransactionNotSignable(details={"status": tx.status, "transaction": str(tx.id)})
    if tx.expires_at <= timezone.now():
        raise PrepareExpired()
    if str(signer.id) not in {str(o) for o in tx.account.owners}:
        raise DeviceNotAccountOwner(details={"chain_id": tx.chain_id})
    signature = userops.encode_multi_op_signature(
        proof=proof, account_signature=account_signature(tx=tx, passkey=signer, credential=credential)
    )
    tx.user_op = UserOperation.from_rpc(tx.user_op).replace(signature=signature).to_rpc()
    tx.status, tx.signed_at, tx.signed_by = Transaction.Status.SIGNED, timezone.now(), signer
    tx.save(update_fields=["user_op", "status", "signed_at", "signed_by"])
    audit_record(
        event_type=PaymasterAuditEvent.TRANSACTION_SIGNED,
        actor=user,
        subject=tx,
        new_values={"device": str(signer.id), "multi_op_proof": len(proof)},
    )


def _submit_all(tx_ids: list[uuid.UUID]) -> None:
    """After commit: the revoke is done; a bundler problem only delays a removal (the row stays `signed` and
    the submit task and the reconciler retry), so it must not turn the answer into an error."""
    for tx_id in tx_ids:
        try:
            transaction_submit(transaction_id=tx_id)
        except Exception:
            logger.exception("owner removal not sent yet", extra={"transaction_id": str(tx_id)})


# --- the reconciler -------------------------------------------------------------------------------------------


def owner_removals_reconcile() -> int:
    """Periodic: for every revoked device still listed on some chain, ask that chain's node whether the account
    still has the key; record the removal if not, else (re)send the stored signed removal. Idempotent: the
    account's nonce makes a removal land at most once however often it is sent. Returns the removals still open."""
    _abandoned_expire()
    open_count = 0
    removals = (
        Transaction.objects.filter(purpose=Transaction.Purpose.OWNER_REMOVE, subject_device__status=_REVOKED)
        .exclude(status__in=[Transaction.Status.EXPIRED, Transaction.Status.INCLUDED])
        .select_related("chain", "account", "subject_device")
        .order_by("account_id", "subject_device_id", "-created_at")
    )
    seen: set[tuple[uuid.UUID, uuid.UUID | None]] = set()
    for tx in removals:
        key = (tx.account_id, tx.subject_device_id)
        if key in seen:
            continue  # only the newest removal per (account, device) is worth sending
        seen.add(key)
        device = tx.subject_device
        if device is None or str(device.id) not in {str(o) for o in tx.account.owners}:
            continue
        try:
            if _reconcile_one(tx=tx, device=device):
                open_count += 1
        except (BundlerUnavailable, ChainUnavailable) as exc:
            logger.warning("owner removal not reconciled: %s", exc, extra={"transaction_id": str(tx.id)})
            open_count += 1
    return open_count


def _abandoned_expire() -> None:
    """Removals prepared for a revocation ceremony that never finished: once the ceremony's challenge has expired
    nothing can sign them, so they expire now (releasing any reservation) rather than at the end of their long
    validity."""
    cutoff = timezone.now() - timedelta(seconds=settings.WEBAUTHN_CHALLENGE_TTL_SECONDS + 60)
    for tx_id in Transaction.objects.filter(
        purpose=Transaction.Purpose.OWNER_REMOVE,
        status=Transaction.Status.PREPARED,
        created_at__lt=cutoff,
        intent__owner_change__ceremony=CEREMONY,
    ).values_list("id", flat=True):
        transaction_expire(transaction_id=tx_id, reason="ceremony_abandoned")


def _reconcile_one(*, tx: Transaction, device: Passkey) -> bool:
    """One removal; True while it is still open."""
    x, y = _key_bytes(device)
    if not get_node_client(tx.chain).account_is_owner(account=tx.account.address, qx=x, qy=y):
        if tx.status == Transaction.Status.SUBMITTED:
            transaction_track(transaction_id=tx.id)  # settles the receipt (ledger, mirror) when the bundler has it
        account_owner_apply(account_id=tx.account_id, device_id=str(device.id), add=False)
        return False
    if not _removal_landable(tx):
        return True  # waits for the next ceremony to sign it again (device_revocation_status says so)
    if tx.status == Transaction.Status.SIGNED:
        transaction_submit(transaction_id=tx.id)
        return True
    bundler = get_bundler_client(tx.chain)
    if bundler.get_user_operation_receipt(tx.user_op_hash) is not None:
        transaction_track(transaction_id=tx.id)
        return True
    if bundler.get_user_operation_by_hash(tx.user_op_hash) is None:
        _resend(tx)
    return True


def _resend(tx: Transaction) -> None:
    """The bundler lost a submitted removal (restarted, evicted it): send the same signed operation again."""
    with transaction.atomic():
        locked = Transaction.objects.select_for_update().select_related("chain").get(pk=tx.pk)
        if locked.status != Transaction.Status.SUBMITTED:
            return
        locked.submit_attempts += 1
        try:
            get_bundler_client(locked.chain).send_user_operation(locked.user_op, entry_point=locked.chain.entry_point)
        except BundlerUnavailable as exc:
            locked.last_error = f"bundler unavailable: {exc.message}"
        except BundlerError as exc:
            # e.g. the nonce was used meanwhile (the removal landed through another send): the node decides next time.
            locked.last_error = f"{exc.code}: {exc.message}"[:2000]
        else:
            locked.last_error = ""
            audit_record(
                event_type=PaymasterAuditEvent.TRANSACTION_SUBMITTED,
                subject=locked,
                new_values={"attempt": locked.submit_attempts, "resent": True},
            )
        locked.save(update_fields=["submit_attempts", "last_error"])


__all__ = [
    "RevocationStatus",
    "device_revocation_begin",
    "device_revocation_complete",
    "device_revocation_status",
    "owner_removals_reconcile",
]

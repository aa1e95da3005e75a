"""The transaction flow: prepare (build, scan, sponsor) -> sign (passkey) -> submit (bundler) -> track (receipt).

Each step is a state transition of one `Transaction` row taken under its row lock, so concurrent requests cannot
sign twice or send twice. Network work (estimates, scans, sends) happens outside long transactions, except the
send itself, which happens under the row lock precisely so that only one process can send.
"""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from webauthn.helpers import base64url_to_bytes

from apps.chain import paymaster_data, userops
from apps.chain.clients import get_bundler_client, get_node_client
from apps.chain.errors import BundlerError, BundlerUnavailable
from apps.chain.models import Account, Chain
from apps.chain.userops import Call, UserOperation
from apps.identity.errors import PossibleClone
from apps.identity.models import Passkey, RewardEntry, User
from apps.identity.services import passkey_assertion_verify, reward_credit
from apps.paymaster import scanning
from apps.paymaster.builder import build_user_operation, owner_signer_bytes
from apps.paymaster.intents import call_selector, erc20_transfer_of, intent_calls
from apps.paymaster.models import SponsorshipLedgerEntry, Transaction
from apps.paymaster.signer import paymaster_signer_key
from apps.paymaster.sponsorship import (
    SponsorshipRequest,
    sponsorship_evaluate,
    sponsorship_release,
    sponsorship_reserve,
    sponsorship_settle,
)
from lykos.audit.services import audit_record
from lykos.errors import Conflict, InvalidRequest, NotFound, RuleRefused

logger = logging.getLogger(__name__)
P256_N = userops.P256_N


class RiskBlocked(RuleRefused):
    code = "risk_blocked"
    default_message = "The security scan blocked this transaction."


class SponsorshipRefused(RuleRefused):
    code = "sponsorship_refused"
    default_message = "No sponsorship policy covers this operation."


class SponsorshipChanged(Conflict):
    code = "sponsorship_changed"
    default_message = "The sponsorship budget changed while preparing; prepare again."


class InsufficientFunds(RuleRefused):
    code = "insufficient_funds"
    default_message = "The account cannot cover this transaction."


class TransactionNotSignable(Conflict):
    code = "transaction_not_signable"
    default_message = "This transaction is no longer waiting for a signature."


class PrepareExpired(RuleRefused):
    code = "prepare_expired"
    default_message = "This prepared transaction expired; prepare it again."


class DeviceNotAccountOwner(RuleRefused):
    code = "device_not_account_owner"
    default_message = "This passkey is not (yet) an owner of the account on-chain."


class NoAccount(RuleRefused):
    code = "no_account"
    default_message = "You have no account on this chain yet."


# --- prepare --------------------------------------------------------------------------------------------


def _chain_and_account(*, user: User, chain_id: int) -> tuple[Chain, Account]:
    chain = Chain.objects.filter(chain_id=chain_id, enabled=True).first()
    if chain is None:
        raise InvalidRequest("Unknown or disabled chain.", details={"fields": {"chain_id": ["unknown"]}})
    account = Account.objects.select_related("initial_owner").filter(user=user, chain=chain).first()
    if account is None:
        raise NoAccount()
    return chain, account


def _check_funds(*, node: Any, chain: Chain, account: Account, calls: list[Call], gas_cost: int) -> None:
    """The account's ETH pays the calls' value; gas comes from its EntryPoint deposit first, then its ETH."""
    native_needed = sum(call.value for call in calls) + gas_cost
    native = node.native_balance(account.address)
    if gas_cost:
        native += node.entry_point_deposit(entry_point=chain.entry_point, account=account.address)
    if native < native_needed:
        raise InsufficientFunds(
            details={
                "asset": "native",
                "needed": str(native_needed),
                "available": str(native),
                "gas_wei": str(gas_cost),
            }
        )
    for call in calls:
        transfer = erc20_transfer_of(call)
        if transfer is not None:
            token, amount = transfer
            held = node.erc20_balance(token=token, owner=account.address)
            if held < amount:
                raise InsufficientFunds(details={"asset": token, "needed": str(amount), "available": str(held)})


def _request_for(
    *, user: User, chain: Chain, account: Account, calls: list[Call], max_cost: int, verdict: scanning.Verdict
) -> SponsorshipRequest:
    return SponsorshipRequest(
        chain_id=chain.chain_id,
        sender=account.address,
        max_cost_wei=max_cost,
        calls=[(call.target, call.value, call_selector(call)) for call in calls],
        user=user,
        account_frozen=scanning.account_is_frozen(user=user),
        risk_action=verdict.action,
    )


_IN_FLIGHT = (Transaction.Status.SIGNED, Transaction.Status.SUBMITTED)


def _next_free_nonce(account: Account) -> int:
    """Nonces held by signed or submitted operations are taken; the next prepare starts after them."""
    highest = (
        Transaction.objects.filter(account=account, status__in=_IN_FLIGHT)
        .order_by("-nonce")
        .values_list("nonce", flat=True)
        .first()
    )
    return 0 if highest is None else int(highest) + 1


def _identical_waiting(*, account: Account, op: UserOperation, chain: Chain) -> Transaction | None:
    """An unsponsored op built twice from one intent is the same op: answer with the one already waiting."""
    if op.paymaster:
        return None  # a sponsored op carries a fresh paymaster signature and validity window each time
    op_hash = "0x" + userops.user_op_hash(op, entry_point=chain.entry_point, chain_id=chain.chain_id).hex()
    return Transaction.objects.filter(
        account=account, user_op_hash=op_hash, status=Transaction.Status.PREPARED, expires_at__gt=timezone.now()
    ).first()


def _supersede_waiting(*, account: Account, nonce: int) -> None:
    """A new prepare replaces unsigned ones holding the same nonce: only one of them could ever land."""
    for tx_id in Transaction.objects.filter(
        account=account, status=Transaction.Status.PREPARED, nonce__gte=nonce
    ).values_list("id", flat=True):
        _expire(tx_id, reason="superseded")


def _signing_device(user: User, device_id: uuid.UUID | None) -> Passkey:
    devices = Passkey.objects.filter(user=user, status=Passkey.Status.ACTIVE)
    device = devices.filter(pk=device_id).first() if device_id else None
    return device or devices.order_by("created_at").first()  # type: ignore[return-value]


def transaction_prepare(
    *,
    user: User,
    chain_id: int,
    intent: dict[str, Any],
    sponsorship: str = "preferred",
    device_id: uuid.UUID | None = None,
    purpose: str = Transaction.Purpose.USER,
    subject_device: Passkey | None = None,
    calls: list[Call] | None = None,
) -> Transaction:
    """Build, scan and (when a policy pays) sponsor one operation; the result waits for the passkey signature."""
    if calls is None:
        calls, intent = intent_calls(intent)
    chain, account = _chain_and_account(user=user, chain_id=chain_id)
    scanning.ensure_not_frozen(user=user)
    node, bundler = get_node_client(chain), get_bundler_client(chain)
    device = _signing_device(user, device_id)
    signer = owner_signer_bytes(chain=chain, public_key_x=device.public_key_x, public_key_y=device.public_key_y)

    use_paymaster = bool(chain.paymaster) and sponsorship != "none"
    if sponsorship == "required" and not use_paymaster:
        raise SponsorshipRefused(details={"rule": "no_paymaster_on_chain", "refusals": []})
    build = functools.partial(
        build_user_operation,
        chain=chain,
        account=account,
        calls=calls,
        signer=signer,
        node=node,
        bundler=bundler,
        min_nonce=_next_free_nonce(account),
    )
    op = build(sponsored_shape=use_paymaster)
    verdict = scanning.scan(user=user, chain=chain, account=account, calls=calls, user_op=op)
    if verdict.action == "BLOCK":
        raise RiskBlocked(details={"verdict": verdict.as_dict()})

    sponsor_request = _request_for(
        user=user, chain=chain, account=account, calls=calls, max_cost=op.max_cost(), verdict=verdict
    )
    refusals: list[dict[str, str]] = []
    if use_paymaster:
        decision = sponsorship_evaluate(request=sponsor_request)
        refusals = decision.refusals
        if not decision.sponsored:
            scanning.sponsorship_refused(user=user, rule=decision.rule)
            if sponsorship == "required":
                raise SponsorshipRefused(details={"rule": decision.rule, "refusals": refusals})
            # The user pays: rebuild without the paymaster (its fields change the gas) and check funds.
            op = build(sponsored_shape=False)
    if not op.paymaster:
        _check_funds(node=node, chain=chain, account=account, calls=calls, gas_cost=op.max_cost())
    else:
        _check_funds(node=node, chain=chain, account=account, calls=calls, gas_cost=0)

    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.TRANSACTION_PREPARE_TTL_SECONDS)
    chain_now = node.block_timestamp() if op.paymaster else 0
    with transaction.atomic():
        # One prepare per account at a time: the account row serialises nonce decisions.
        Account.objects.select_for_update().get(pk=account.pk)
        same = _identical_waiting(account=account, op=op, chain=chain)
        if same is not None:
            return same
        _supersede_waiting(account=account, nonce=op.nonce)
        tx = Transaction(
            user=user,
            chain=chain,
            account=account,
            purpose=purpose,
            subject_device=subject_device,
            intent=intent,
            calls=[{"to": c.target, "value": str(c.value), "data": "0x" + c.data.hex()} for c in calls],
            nonce=op.nonce,
            verdict=verdict.as_dict(),
            expires_at=expires_at,
            max_cost_wei=op.max_cost(),
        )
        entry: SponsorshipLedgerEntry | None = None
        if op.paymaster:
            decision, entry = sponsorship_reserve(request=sponsor_request, valid_until=expires_at)
            if entry is None:
                # The budget moved between evaluation and reservation (a concurrent request won it).
                if sponsorship == "required":
                    raise SponsorshipRefused(details={"rule": decision.rule, "refusals": decision.refusals})
                raise SponsorshipChanged(details={"rule": decision.rule})
            op = op.replace(
                paymaster_data=paymaster_data.sign_paymaster_data(
                    op,
                    paymaster=chain.paymaster,
                    chain_id=chain.chain_id,
                    valid_after=chain_now - 60,
                    valid_until=chain_now + settings.TRANSACTION_PREPARE_TTL_SECONDS,
                    private_key=paymaster_signer_key(),
                )
            )
            tx.sponsored, tx.policy = True, decision.policy
        op_hash = "0x" + userops.user_op_hash(op, entry_point=chain.entry_point, chain_id=chain.chain_id).hex()
        tx.user_op = op.to_rpc()
        tx.user_op_hash = op_hash
        tx.save(force_insert=True)
        if entry is not None:
            entry.transaction, entry.user_op_hash = tx, op_hash
            entry.save(update_fields=["transaction", "user_op_hash"])
        audit_record(
            event_type="transaction.prepared",
            actor=user,
            subject=tx,
            new_values={
                "user_op_hash": op_hash,
                "sponsored": tx.sponsored,
                "policy": tx.policy.name if tx.policy else None,
                "sponsorship_refusals": refusals,
                "verdict": verdict.action,
            },
        )
    tx.sponsorship_refusals = refusals  # type: ignore[attr-defined]  # shown once, in the prepare response
    return tx


def transaction_signing_options(*, tx: Transaction) -> dict[str, Any]:
    """`navigator.credentials.get` options whose challenge is the userOpHash, for the account's owner devices."""
    from apps.identity.services import authentication_options

    owners = [str(o) for o in tx.account.owners]
    devices = Passkey.objects.filter(user=tx.user, status=Passkey.Status.ACTIVE, pk__in=owners)
    return authentication_options(
        allow=[bytes(d.credential_id) for d in devices], challenge=bytes.fromhex(tx.user_op_hash[2:])
    )


# --- sign -----------------------------------------------------------------------------------------------


def _close_unlanded(tx_id: uuid.UUID, *, expected: str, final: str, reason: str) -> None:
    """An operation that will never land (expired unsigned, or dropped by the bundler) releases its reservation."""
    with transaction.atomic():
        tx = Transaction.objects.select_for_update().get(pk=tx_id)
        if tx.status != expected:
            return
        tx.status, tx.finished_at = final, timezone.now()
        tx.save(update_fields=["status", "finished_at"])
        if tx.sponsored:
            sponsorship_release(user_op_hash=tx.user_op_hash, reason=reason)
        audit_record(event_type=f"transaction.{final}", subject=tx, new_values={"status": final, "reason": reason})


def _expire(tx_id: uuid.UUID, *, reason: str = "expired") -> None:
    _close_unlanded(tx_id, expected=Transaction.Status.PREPARED, final=Transaction.Status.EXPIRED, reason=reason)


def _account_signature(*, tx: Transaction, passkey: Passkey, credential: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    response = credential["response"]
    r, s = decode_dss_signature(base64url_to_bytes(response["signature"]))
    webauthn_signature = userops.encode_webauthn_signature(
        authenticator_data=base64url_to_bytes(response["authenticatorData"]),
        client_data_json=base64url_to_bytes(response["clientDataJSON"]),
        r=r,
        s=s,  # normalised to low-s: browsers emit either half, the account accepts only the low one
    )
    signer = owner_signer_bytes(chain=tx.chain, public_key_x=passkey.public_key_x, public_key_y=passkey.public_key_y)
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
            scanning.ensure_not_frozen(user=user)
            try:
                passkey = passkey_assertion_verify(
                    user=user, credential=credential, challenge=bytes.fromhex(tx.user_op_hash[2:])
                )
            except PossibleClone as exc:
                clone = exc  # leave the block normally so the device flag and security event are committed
        if clone is None and not expired:
            if str(passkey.id) not in {str(o) for o in tx.account.owners}:
                raise DeviceNotAccountOwner()
            op = UserOperation.from_rpc(tx.user_op).replace(
                signature=_account_signature(tx=tx, passkey=passkey, credential=credential)
            )
            tx.user_op = op.to_rpc()
            tx.status, tx.signed_at, tx.signed_by = Transaction.Status.SIGNED, timezone.now(), passkey
            tx.save(update_fields=["user_op", "status", "signed_at", "signed_by"])
            audit_record(
                event_type="transaction.signed", actor=user, subject=tx, new_values={"device": str(passkey.id)}
            )
    if clone is not None:
        raise clone
    if expired:
        _expire(tx.id)
        raise PrepareExpired()
    return transaction_submit(transaction_id=tx.id)


# --- submit and track -----------------------------------------------------------------------------------


def transaction_submit(*, transaction_id: uuid.UUID) -> Transaction:
    """Send a signed operation to the bundler, once. A bundler that is down leaves it `signed` for a retry."""
    from apps.paymaster.tasks import submit_transaction_task, track_transaction_task

    with transaction.atomic():
        tx = Transaction.objects.select_for_update().select_related("chain").get(pk=transaction_id)
        if tx.status != Transaction.Status.SIGNED:
            return tx
        bundler = get_bundler_client(tx.chain)
        tx.submit_attempts += 1
        try:
            # A retry after an ambiguous failure (timeout) first asks whether the bundler already has it.
            already = tx.submit_attempts > 1 and bundler.get_user_operation_by_hash(tx.user_op_hash) is not None
            if not already:
                bundler.send_user_operation(tx.user_op, entry_point=tx.chain.entry_point)
        except BundlerUnavailable as exc:
            tx.last_error = f"bundler unavailable: {exc.message}"
            tx.save(update_fields=["submit_attempts", "last_error"])
            transaction.on_commit(lambda: submit_transaction_task.apply_async((str(tx.id),), countdown=2))
            return tx
        except BundlerError as exc:
            tx.status, tx.finished_at = Transaction.Status.FAILED, timezone.now()
            tx.last_error = f"{exc.code}: {exc.message}"[:2000]
            tx.save(update_fields=["submit_attempts", "status", "finished_at", "last_error"])
            if tx.sponsored:
                sponsorship_release(user_op_hash=tx.user_op_hash, reason="bundler_rejected")
            audit_record(event_type="transaction.rejected", subject=tx, new_values={"error": tx.last_error})
            return tx
        tx.status, tx.submitted_at, tx.last_error = Transaction.Status.SUBMITTED, timezone.now(), ""
        tx.save(update_fields=["submit_attempts", "status", "submitted_at", "last_error"])
        audit_record(event_type="transaction.submitted", subject=tx, new_values={"attempt": tx.submit_attempts})
        transaction.on_commit(lambda: track_transaction_task.apply_async((str(tx.id),), countdown=0.2))
    return tx


def transaction_track(*, transaction_id: uuid.UUID) -> bool:
    """Look for the receipt once; settle when it is there. True when the transaction reached a final state."""
    tx = Transaction.objects.select_related("chain").get(pk=transaction_id)
    if tx.status in Transaction.TERMINAL:
        return True
    if tx.status != Transaction.Status.SUBMITTED:
        return False
    bundler = get_bundler_client(tx.chain)
    receipt = bundler.get_user_operation_receipt(tx.user_op_hash)
    if receipt is None:
        deadline = tx.expires_at + timedelta(seconds=settings.TRANSACTION_DROP_GRACE_SECONDS)
        if timezone.now() > deadline and bundler.get_user_operation_by_hash(tx.user_op_hash) is None:
            _finish_dropped(tx.id)
            return True
        return False
    _settle(tx.id, receipt)
    return True


def _finish_dropped(tx_id: uuid.UUID) -> None:
    _close_unlanded(tx_id, expected=Transaction.Status.SUBMITTED, final=Transaction.Status.DROPPED, reason="dropped")


def _settle(tx_id: uuid.UUID, receipt: dict[str, Any]) -> None:
    with transaction.atomic():
        tx = Transaction.objects.select_for_update().select_related("account", "user").get(pk=tx_id)
        if tx.status in Transaction.TERMINAL:
            return
        success = bool(receipt.get("success"))
        inner = receipt.get("receipt") or {}
        tx.success = success
        tx.status = Transaction.Status.INCLUDED if success else Transaction.Status.FAILED
        tx.actual_gas_cost_wei = int(receipt["actualGasCost"], 16)
        tx.actual_gas_used = int(receipt["actualGasUsed"], 16)
        tx.tx_hash = inner.get("transactionHash", "")
        tx.block_number = int(inner["blockNumber"], 16) if inner.get("blockNumber") else None
        tx.revert_reason = "" if success else (receipt.get("reason") or "reverted")[:2000]
        tx.finished_at = timezone.now()
        tx.save()
        if tx.sponsored:
            # The paymaster paid whether the calls succeeded or not.
            sponsorship_settle(user_op_hash=tx.user_op_hash, actual_gas_cost_wei=int(tx.actual_gas_cost_wei))
        if not tx.account.deployed:
            Account.objects.filter(pk=tx.account_id, deployed=False).update(deployed=True, deployed_at=timezone.now())
        if success:
            reward_credit(user=tx.user, kind=RewardEntry.Kind.FIRST_TRANSACTION, reference="first")
            scanning.counterparties_record(user=tx.user, addresses=_counterparties(tx))
            for hook in _included_hooks:
                hook(tx=tx)
        audit_record(
            event_type="transaction.included" if success else "transaction.failed",
            subject=tx,
            new_values={
                "success": success,
                "actual_gas_cost_wei": str(tx.actual_gas_cost_wei),
                "tx_hash": tx.tx_hash,
                "block_number": tx.block_number,
            },
        )


def _counterparties(tx: Transaction) -> list[str]:
    """Who a landed operation dealt with: transfer recipients, else the call targets (not the account itself)."""
    transfer = (tx.intent or {}).get("transfer")
    if transfer:
        return [transfer["to"]]
    return [c["to"] for c in tx.calls if c["to"].lower() != tx.account.address.lower()]


_included_hooks: list[Any] = []


def included_hook_register(hook: Any) -> None:
    """Act on an included operation inside its settlement transaction (device owner changes use this)."""
    if hook not in _included_hooks:
        _included_hooks.append(hook)


def transactions_expire_stale() -> int:
    """Periodic: prepared operations past their validity expire and release their reservations."""
    stale = list(
        Transaction.objects.filter(status=Transaction.Status.PREPARED, expires_at__lte=timezone.now()).values_list(
            "id", flat=True
        )
    )
    for tx_id in stale:
        _expire(tx_id)
    return len(stale)


# --- device owner changes on-chain ----------------------------------------------------------------------


def device_owner_change_prepare(*, user: User, device: Passkey, chain_id: int, add: bool) -> Transaction:
    """Prepare the account operation that adds (or removes) `device`'s key as an owner on one chain.

    It is signed by a device that already owns the account, through the same pipeline as any transaction; until
    it lands, a new device cannot sign for the account and a revoked one still can on-chain.
    """
    _, account = _chain_and_account(user=user, chain_id=chain_id)
    x, y = bytes(device.public_key_x).rjust(32, b"\0"), bytes(device.public_key_y).rjust(32, b"\0")
    function = "addOwner" if add else "removeOwner"
    call = Call(target=account.address, data=userops.encode_self_call(function, x, y))
    purpose = Transaction.Purpose.OWNER_ADD if add else Transaction.Purpose.OWNER_REMOVE
    signer = next(
        (
            d
            for d in Passkey.objects.filter(
                user=user, status=Passkey.Status.ACTIVE, pk__in=[str(o) for o in account.owners]
            )
        ),
        None,
    )
    return transaction_prepare(
        user=user,
        chain_id=chain_id,
        intent={"owner_change": {"device": str(device.id), "action": function}},
        calls=[call],
        purpose=purpose,
        subject_device=device,
        device_id=signer.id if signer else None,
    )


def device_changed_hook(*, passkey: Passkey, added: bool) -> None:
    """Identity's device_added / device_revoked (sent after commit): prepare the owner change on each chain."""
    for account in Account.objects.filter(user_id=passkey.user_id, chain__enabled=True):
        is_owner = str(passkey.id) in {str(o) for o in account.owners}
        if added == is_owner:
            continue  # nothing to change on this chain
        try:
            device_owner_change_prepare(user=passkey.user, device=passkey, chain_id=account.chain_id, add=added)
        except Exception:  # the client can prepare it again through the API; never fail the device change
            logger.exception("owner change not prepared", extra={"chain_id": account.chain_id})


def _owner_change_included(*, tx: Transaction) -> None:
    if (
        tx.purpose not in (Transaction.Purpose.OWNER_ADD, Transaction.Purpose.OWNER_REMOVE)
        or tx.subject_device_id is None
    ):
        return
    account = Account.objects.select_for_update().get(pk=tx.account_id)
    owners = [str(o) for o in account.owners if str(o) != str(tx.subject_device_id)]
    if tx.purpose == Transaction.Purpose.OWNER_ADD:
        owners.append(str(tx.subject_device_id))
    old = list(account.owners)
    account.owners = owners
    account.save(update_fields=["owners"])
    audit_record(
        event_type="account.owners_changed", subject=account, old_values={"owners": old}, new_values={"owners": owners}
    )


included_hook_register(_owner_change_included)

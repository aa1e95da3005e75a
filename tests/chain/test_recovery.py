"""Guardian recovery built into LykosAccount, on anvil + EntryPoint v0.8 + alto.

Guardians here are two EOAs (ECDSA over the EIP-712 approval) and one ERC-1271 contract guardian (another
LykosAccount, whose passkey signs its own replay-safe wrapping of the approval). The chain clock is moved with
evm_increaseTime + evm_mine; nothing is reverted (evm_revert wedges alto), so each test builds its own account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from apps.chain import userops
from apps.chain.dev import DevChain
from apps.chain.errors import BundlerError
from apps.chain.userops import Call
from tests.support.accounts import (
    Passkey,
    Wallet,
    assert_reverts_with,
    eoa_guardian,
    events,
    increase_time,
    latest_timestamp,
    recovery_typed_data,
    signer_of,
)
from tests.support.chains import PRAGUE_CHAIN_ID

DAY = 24 * 3600
BURN = "0x000000000000000000000000000000000000dEaD"


@dataclass
class Guarded:
    """An account with guardians {EOA 1, EOA 2, contract guardian}, threshold 2, security delay 1 day."""

    wallet: Wallet
    eoa1: LocalAccount
    eoa2: LocalAccount
    contract_guardian: Wallet

    @property
    def account(self) -> Any:
        return self.wallet.contract

    def guardian_bytes(self) -> list[bytes]:
        return [_addr(self.eoa1.address), _addr(self.eoa2.address), _addr(self.contract_guardian.address)]


def _addr(address: str) -> bytes:
    return bytes.fromhex(address[2:])


@pytest.fixture
def guarded(devchain: DevChain, w3: Web3) -> Guarded:
    contract_guardian = Wallet.new(devchain, w3)
    contract_guardian.deploy_directly()  # must have code, or it would be checked as an EOA
    setup = Guarded(Wallet.new(devchain, w3), eoa_guardian(), eoa_guardian(), contract_guardian)
    setup.wallet.fund()
    # First operation: deploy + configure guardians. With no guardians yet the configuration applies at once.
    receipt = setup.wallet.execute([setup.wallet.self_call("proposeGuardianConfig", setup.guardian_bytes(), 2, DAY)])
    applied = events(setup.account, receipt, "GuardianConfigApplied")
    assert len(applied) == 1 and applied[0].args.threshold == 2
    assert setup.account.functions.guardianThreshold().call() == 2
    assert setup.account.functions.securityDelay().call() == DAY
    return setup


def _typed_hash(message: dict[str, Any]) -> bytes:
    signable = encode_typed_data(full_message=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def approve(
    guarded: Guarded,
    guardian: LocalAccount | Wallet,
    new_owners: list[Passkey],
    *,
    valid_until: int,
    nonce: int | None = None,
    chain_id: int | None = None,
    account: str | None = None,
) -> tuple[bytes, bytes]:
    """(guardian signer bytes, signature) approving `new_owners`; overrides forge approvals for other contexts."""
    wallet = guarded.wallet
    message = recovery_typed_data(
        account=account or wallet.address,
        chain_id=chain_id or wallet.chain.chain_id,
        new_owners=new_owners,
        nonce=guarded.account.functions.recoveryNonce().call() if nonce is None else nonce,
        valid_until=valid_until,
    )
    if isinstance(guardian, Wallet):  # ERC-1271: the guardian account's owner signs the replay-safe hash
        bound = guardian.contract.functions.replaySafeHash(_typed_hash(message)).call()
        signature = userops.encode_account_signature(
            signer=signer_of(guardian.chain, guardian.owner),
            webauthn_signature=guardian.owner.webauthn_signature(bound),
        )
        return _addr(guardian.address), signature
    signed = guardian.sign_typed_data(full_message=message)
    return _addr(guardian.address), bytes(signed.signature)


def sorted_approvals(*approvals: tuple[bytes, bytes]) -> tuple[list[bytes], list[bytes]]:
    """Signers sorted by keccak256 ascending, as scheduleRecovery requires (that ordering proves distinctness)."""
    ordered = sorted(approvals, key=lambda a: keccak(a[0]))
    return [a[0] for a in ordered], [a[1] for a in ordered]


def keys(owners: list[Passkey]) -> list[tuple[bytes, bytes]]:
    return [p.key_tuple() for p in owners]


def schedule(
    guarded: Guarded, new_owners: list[Passkey], valid_until: int, signers: list[bytes], sigs: list[bytes]
) -> Any:
    """Submit scheduleRecovery from an unrelated EOA (anyone may: the approvals are the authorization)."""
    w3 = guarded.wallet.w3
    tx = guarded.account.functions.scheduleRecovery(keys(new_owners), valid_until, signers, sigs).transact(
        {"from": guarded.wallet.chain.funded_keys[3].address}
    )
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    return receipt


def test_contract_digest_is_the_eip712_message_guardians_sign(guarded: Guarded) -> None:
    owners = [Passkey.create(), Passkey.create()]
    message = recovery_typed_data(
        account=guarded.wallet.address,
        chain_id=guarded.wallet.chain.chain_id,
        new_owners=owners,
        nonce=7,
        valid_until=99,
    )
    assert guarded.account.functions.recoveryDigest(keys(owners), 7, 99).call() == _typed_hash(message)


def test_threshold_approvals_schedule_then_after_the_delay_replace_the_owners(guarded: Guarded) -> None:
    wallet, account, w3 = guarded.wallet, guarded.account, guarded.wallet.w3
    old_owner, new_owner = wallet.owner, Passkey.create()
    valid_until = latest_timestamp(w3) + 7 * DAY  # still valid after the delay: the replay check below is the nonce
    approvals = sorted_approvals(
        approve(guarded, guarded.eoa1, [new_owner], valid_until=valid_until),
        approve(guarded, guarded.contract_guardian, [new_owner], valid_until=valid_until),
    )
    receipt = schedule(guarded, [new_owner], valid_until, *approvals)
    (scheduled,) = account.events.RecoveryScheduled().process_receipt(receipt)
    assert scheduled.args.nonce == 0 and scheduled.args.executeAfter >= latest_timestamp(w3) + DAY - 1
    assert account.functions.pendingRecovery().call()[1] == scheduled.args.executeAfter

    # Not before the delay, and only with the approved owners.
    anyone = {"from": wallet.chain.funded_keys[3].address}
    assert_reverts_with(
        account.functions.executeRecovery(keys([new_owner])), "LykosRecoveryDelayNotElapsed(uint48)", anyone
    )
    # A second recovery cannot start while one is pending.
    assert_reverts_with(
        account.functions.scheduleRecovery(keys([new_owner]), valid_until, *approvals),
        "LykosRecoveryAlreadyScheduled()",
        anyone,
    )
    # The (possibly compromised) owners propose a guardian change meanwhile; recovery will drop it.
    wallet.execute([wallet.self_call("proposeGuardianConfig", [_addr(guarded.eoa1.address)], 1, DAY)])
    assert account.functions.pendingGuardianConfig().call()[3] > 0

    increase_time(w3, DAY + 1)
    assert_reverts_with(
        account.functions.executeRecovery(keys([Passkey.create()])), "LykosRecoveryOwnersMismatch()", anyone
    )
    tx = account.functions.executeRecovery(keys([new_owner])).transact(anyone)
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    assert account.functions.owners().call() == keys([new_owner])
    assert account.functions.recoveryNonce().call() == 1
    assert account.functions.pendingRecovery().call()[1] == 0
    assert account.functions.pendingGuardianConfig().call()[3] == 0
    assert len(account.functions.guardians().call()) == 3  # unchanged: the dropped proposal never applied

    # The old device is locked out; the new one signs.
    old_op = wallet.sign(wallet.build([Call(target=BURN, value=1)], signer=old_owner), old_owner)
    with pytest.raises(BundlerError) as refused:
        wallet.submit(old_op)
    assert "AA24" in refused.value.message
    wallet.execute([Call(target=BURN, value=1)], signer=new_owner)

    # The approvals that were used cannot be replayed (nonce moved on).
    assert_reverts_with(
        account.functions.scheduleRecovery(keys([new_owner]), valid_until, *approvals),
        "LykosInvalidGuardianSignature(bytes)",
        anyone,
    )


def test_fewer_approvals_than_the_threshold_are_refused(guarded: Guarded) -> None:
    new_owner = Passkey.create()
    valid_until = latest_timestamp(guarded.wallet.w3) + DAY
    one = sorted_approvals(approve(guarded, guarded.eoa1, [new_owner], valid_until=valid_until))
    assert_reverts_with(
        guarded.account.functions.scheduleRecovery(keys([new_owner]), valid_until, *one),
        "LykosRecoveryThresholdNotMet(uint256,uint64)",
    )


def test_the_same_guardian_twice_does_not_count_twice(guarded: Guarded) -> None:
    new_owner = Passkey.create()
    valid_until = latest_timestamp(guarded.wallet.w3) + DAY
    approval = approve(guarded, guarded.eoa1, [new_owner], valid_until=valid_until)
    assert_reverts_with(
        guarded.account.functions.scheduleRecovery(
            keys([new_owner]), valid_until, [approval[0]] * 2, [approval[1]] * 2
        ),
        "LykosRecoveryGuardiansNotSorted(uint256)",
    )


def test_approvals_from_non_guardians_are_refused(guarded: Guarded) -> None:
    new_owner = Passkey.create()
    valid_until = latest_timestamp(guarded.wallet.w3) + DAY
    approvals = sorted_approvals(
        approve(guarded, guarded.eoa1, [new_owner], valid_until=valid_until),
        approve(guarded, eoa_guardian(), [new_owner], valid_until=valid_until),
    )
    assert_reverts_with(
        guarded.account.functions.scheduleRecovery(keys([new_owner]), valid_until, *approvals),
        "LykosNotAGuardian(bytes)",
    )


@pytest.mark.parametrize("context", ["other chain", "other account", "other nonce"])
def test_approvals_for_another_chain_account_or_nonce_are_refused(guarded: Guarded, context: str) -> None:
    new_owner = Passkey.create()
    valid_until = latest_timestamp(guarded.wallet.w3) + DAY
    override: dict[str, Any] = {
        "other chain": {"chain_id": PRAGUE_CHAIN_ID},
        "other account": {"account": guarded.contract_guardian.address},
        "other nonce": {"nonce": 1},
    }[context]
    approvals = sorted_approvals(
        approve(guarded, guarded.eoa1, [new_owner], valid_until=valid_until, **override),
        approve(guarded, guarded.eoa2, [new_owner], valid_until=valid_until, **override),
    )
    assert_reverts_with(
        guarded.account.functions.scheduleRecovery(keys([new_owner]), valid_until, *approvals),
        "LykosInvalidGuardianSignature(bytes)",
    )
    # Control: the same guardians approving in this context succeed.
    schedule(
        guarded,
        [new_owner],
        valid_until,
        *sorted_approvals(
            approve(guarded, guarded.eoa1, [new_owner], valid_until=valid_until),
            approve(guarded, guarded.eoa2, [new_owner], valid_until=valid_until),
        ),
    )


def test_expired_approvals_are_refused(guarded: Guarded) -> None:
    new_owner = Passkey.create()
    valid_until = latest_timestamp(guarded.wallet.w3) - 1
    approvals = sorted_approvals(
        approve(guarded, guarded.eoa1, [new_owner], valid_until=valid_until),
        approve(guarded, guarded.eoa2, [new_owner], valid_until=valid_until),
    )
    assert_reverts_with(
        guarded.account.functions.scheduleRecovery(keys([new_owner]), valid_until, *approvals),
        "LykosRecoveryApprovalExpired(uint48)",
    )


def test_an_owner_cancels_a_scheduled_recovery(guarded: Guarded) -> None:
    wallet, account, w3 = guarded.wallet, guarded.account, guarded.wallet.w3
    intruder = Passkey.create()
    valid_until = latest_timestamp(w3) + DAY
    approvals = sorted_approvals(
        approve(guarded, guarded.eoa1, [intruder], valid_until=valid_until),
        approve(guarded, guarded.eoa2, [intruder], valid_until=valid_until),
    )
    schedule(guarded, [intruder], valid_until, *approvals)

    # Only the account (an owner-signed op) may cancel.
    anyone = {"from": wallet.chain.funded_keys[3].address}
    assert_reverts_with(account.functions.cancelRecovery(), "AccountUnauthorized(address)", anyone)
    receipt = wallet.execute([wallet.self_call("cancelRecovery")])
    assert [e.args.nonce for e in events(account, receipt, "RecoveryCancelled")] == [0]
    assert account.functions.pendingRecovery().call() == [b"\x00" * 32, 0]

    # The same (still unexpired) approvals cannot simply be resubmitted: cancelling moved the nonce.
    assert_reverts_with(
        account.functions.scheduleRecovery(keys([intruder]), valid_until, *approvals),
        "LykosInvalidGuardianSignature(bytes)",
        anyone,
    )
    increase_time(w3, DAY + 1)
    assert_reverts_with(account.functions.executeRecovery(keys([intruder])), "LykosNoRecoveryScheduled()", anyone)
    assert account.functions.owners().call() == keys([wallet.owner])


def test_guardian_changes_wait_for_the_security_delay_and_can_be_cancelled(guarded: Guarded) -> None:
    wallet, account, w3 = guarded.wallet, guarded.account, guarded.wallet.w3
    anyone = {"from": wallet.chain.funded_keys[3].address}
    replacement = [_addr(eoa_guardian().address)]
    assert_reverts_with(
        account.functions.proposeGuardianConfig(replacement, 1, DAY), "AccountUnauthorized(address)", anyone
    )

    receipt = wallet.execute([wallet.self_call("proposeGuardianConfig", replacement, 1, 2 * DAY)])
    (proposed,) = events(account, receipt, "GuardianConfigProposed")
    assert proposed.args.applicableAt >= latest_timestamp(w3) + DAY - 1  # the current delay, not the proposed one
    assert account.functions.guardians().call() == guarded.guardian_bytes()
    assert_reverts_with(account.functions.applyGuardianConfig(), "LykosGuardianConfigNotReady(uint48)", anyone)

    # The owner can withdraw the proposal during the delay.
    wallet.execute([wallet.self_call("cancelGuardianConfig")])
    increase_time(w3, DAY + 1)
    assert_reverts_with(account.functions.applyGuardianConfig(), "LykosNoPendingGuardianConfig()", anyone)

    wallet.execute([wallet.self_call("proposeGuardianConfig", replacement, 1, 2 * DAY)])
    increase_time(w3, DAY + 1)
    tx = account.functions.applyGuardianConfig().transact(anyone)
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert account.functions.guardians().call() == replacement
    assert account.functions.guardianThreshold().call() == 1
    assert account.functions.securityDelay().call() == 2 * DAY


@pytest.mark.parametrize(
    ("guardians", "threshold", "delay", "error"),
    [
        ("two", 3, DAY, "LykosInvalidGuardianConfig()"),  # unreachable threshold
        ("two", 0, DAY, "LykosInvalidGuardianConfig()"),  # guardians without a threshold
        ("duplicate", 1, DAY, "LykosInvalidGuardianConfig()"),
        ("self", 1, DAY, "LykosInvalidGuardianConfig()"),
        ("two", 1, 60, "LykosInvalidSecurityDelay(uint48)"),  # too short to react
    ],
)
def test_invalid_guardian_configurations_are_refused(
    devchain: DevChain, w3: Web3, guardians: str, threshold: int, delay: int, error: str
) -> None:
    wallet = Wallet.new(devchain, w3)
    wallet.deploy_directly()
    a, b = _addr(eoa_guardian().address), _addr(eoa_guardian().address)
    guardian_list = {"two": [a, b], "duplicate": [a, a], "self": [_addr(wallet.address)]}[guardians]
    assert_reverts_with(
        wallet.contract.functions.proposeGuardianConfig(guardian_list, threshold, delay),
        error,
        {"from": wallet.address},
    )


def test_recovery_needs_guardians(devchain: DevChain, w3: Web3) -> None:
    wallet = Wallet.new(devchain, w3)
    wallet.deploy_directly()
    new_owner = Passkey.create()
    assert_reverts_with(
        wallet.contract.functions.scheduleRecovery(keys([new_owner]), 2**40, [], []), "LykosRecoveryNotConfigured()"
    )


def test_recovery_with_several_new_owners_and_an_erc7913_guardian_key(devchain: DevChain, w3: Web3) -> None:
    """Guardians may also be ERC-7913 keys (verifier ‖ key): here a guardian's own passkey, no contract needed."""
    wallet = Wallet.new(devchain, w3)
    wallet.fund()
    guardian_passkey = Passkey.create()
    guardian_signer = signer_of(devchain, guardian_passkey)
    wallet.execute([wallet.self_call("proposeGuardianConfig", [guardian_signer], 1, 3600)])
    account = wallet.contract
    kept, added = wallet.owner, Passkey.create()
    valid_until = latest_timestamp(w3) + DAY
    digest = account.functions.recoveryDigest(keys([kept, added]), 0, valid_until).call()
    signature = guardian_passkey.webauthn_signature(digest)
    tx = account.functions.scheduleRecovery(keys([kept, added]), valid_until, [guardian_signer], [signature]).transact(
        {"from": devchain.funded_keys[3].address}
    )
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    increase_time(w3, 3601)
    tx = account.functions.executeRecovery(keys([kept, added])).transact({"from": devchain.funded_keys[3].address})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert sorted(account.functions.owners().call()) == sorted(keys([kept, added]))
    wallet.execute([Call(target=BURN, value=secrets.randbelow(100) + 1)], signer=added)

"""LykosPaymaster on anvil + EntryPoint v0.8 + alto: sponsored operations, refusals, signer rotation, gas.

Every refusal is checked twice: alto's answer to eth_sendUserOperation (what a client sees) and the EntryPoint's own
FailedOp reason from handleOps as an eth_call (so the refusal is the contract's, not a bundler policy).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from web3 import Web3

from apps.chain import contracts, paymaster_data, userops
from apps.chain.dev import (
    DevChain,
    paymaster_deposit,
    paymaster_signer_address,
    set_paymaster_signer,
    start_devchain,
)
from apps.chain.errors import BundlerError
from apps.chain.userops import Call, UserOperation
from tests.support.accounts import Wallet, assert_reverts_with, handle_ops_failure, latest_timestamp
from tests.support.sponsored import build_sponsored, paymaster_key

BURN = "0x000000000000000000000000000000000000dEaD"
VALIDATE_PAYMASTER_USER_OP = "0x52b7512c"  # validatePaymasterUserOp((...),bytes32,uint256)


@pytest.fixture(params=["devchain", "prague_chain"])
def chain_and_w3(request: pytest.FixtureRequest) -> tuple[DevChain, Web3]:
    chain = request.getfixturevalue(request.param)
    w3 = request.getfixturevalue("w3" if request.param == "devchain" else "prague_w3")
    return chain, w3


def _paymaster(w3: Web3, chain: DevChain) -> Any:
    return contracts.bind(w3, "LykosPaymaster", chain.paymaster)


def _refused(wallet: Wallet, op: UserOperation) -> tuple[str, str]:
    """("<alto's JSON-RPC code>: <message>", the EntryPoint's FailedOp reason) for an op that must be refused."""
    with pytest.raises(BundlerError) as refusal:
        wallet.submit(op)
    return f"{refusal.value.rpc_code}: {refusal.value.message}", handle_ops_failure(wallet, op)


# alto's answers as observed (0.0.20): -32507 for signature failures, -32503 for validity-window failures.
AA34 = "-32507: UserOperation reverted with reason: AA34 signature error"
AA32 = "-32503: UserOperation reverted with reason: AA32 paymaster expired or not due"


# --- the digest ------------------------------------------------------------------------------------------------


def test_typed_data_hash_equals_the_contracts_and_eth_accounts(chain_and_w3: tuple[DevChain, Web3]) -> None:
    chain, w3 = chain_and_w3
    wallet = Wallet.new(chain, w3)
    op = paymaster_data.with_paymaster(
        UserOperation(
            sender=wallet.address,
            nonce=7,
            call_data=userops.encode_execute([Call(target=BURN, value=1)]),
            factory=chain.factory,
            factory_data=userops.encode_create_account(wallet.owner.qx, wallet.owner.qy, wallet.salt),
            call_gas_limit=11,
            verification_gas_limit=22,
            pre_verification_gas=33,
            max_fee_per_gas=44,
            max_priority_fee_per_gas=55,
        ),
        paymaster=chain.paymaster,
        verification_gas_limit=66,
        post_op_gas_limit=77,
    )
    window = {"valid_after": 1_700_000_000, "valid_until": 1_800_000_000}
    ours = paymaster_data.paymaster_typed_data_hash(op, paymaster=chain.paymaster, chain_id=chain.chain_id, **window)
    on_chain = _paymaster(w3, chain).functions.getHash(op.packed(), 1_700_000_000, 1_800_000_000).call()
    typed = paymaster_data.paymaster_typed_data(op, paymaster=chain.paymaster, chain_id=chain.chain_id, **window)
    signable = encode_typed_data(full_message=typed)
    assert ours == on_chain == keccak(b"\x19" + signable.version + signable.header + signable.body)
    # The paymaster gas limits and the window are covered; the paymasterData itself is not (it holds the signature).
    other = paymaster_data.paymaster_typed_data_hash(
        op.replace(paymaster_post_op_gas_limit=78), paymaster=chain.paymaster, chain_id=chain.chain_id, **window
    )
    assert other != ours
    assert ours == paymaster_data.paymaster_typed_data_hash(
        op.replace(paymaster_data=b"\x01" * 77), paymaster=chain.paymaster, chain_id=chain.chain_id, **window
    )


def test_paymaster_data_layout() -> None:
    key = Account.create()
    op = UserOperation(sender=key.address, nonce=0, call_data=b"")
    data = paymaster_data.sign_paymaster_data(
        op,
        paymaster=key.address,
        chain_id=1,
        valid_after=5,
        valid_until=6,
        private_key=bytes(key.key),
    )
    assert len(data) == paymaster_data.PAYMASTER_DATA_LENGTH == 77
    assert data[:6] == (5).to_bytes(6, "big") and data[6:12] == (6).to_bytes(6, "big")
    assert paymaster_data.decode_paymaster_data(data) == (5, 6, data[12:])
    digest = paymaster_data.paymaster_typed_data_hash(
        op, paymaster=key.address, chain_id=1, valid_after=5, valid_until=6
    )
    signature = data[12:]
    assert Account._recover_hash(digest, vrs=(signature[64], signature[:32], signature[32:64])) == key.address
    assert (
        len(paymaster_data.dummy_paymaster_data())
        == len(paymaster_data.dummy_paymaster_data(valid_until=2**47 - 1))
        == 77
    )
    with pytest.raises(paymaster_data.PaymasterDataError):
        paymaster_data.paymaster_data(valid_after=0, valid_until=2**48, signature=bytes(65))
    with pytest.raises(paymaster_data.PaymasterDataError):
        paymaster_data.paymaster_data(valid_after=0, valid_until=0, signature=bytes(64))


# --- sponsored operations ----------------------------------------------------------------------------------------


def test_undeployed_account_with_no_eth_sends_a_sponsored_first_operation(
    chain_and_w3: tuple[DevChain, Web3],
) -> None:
    chain, w3 = chain_and_w3
    wallet = Wallet.new(chain, w3)
    assert w3.eth.get_balance(wallet.address) == 0 and not wallet.deployed
    before = paymaster_deposit(chain)
    assert before == _paymaster(w3, chain).functions.getDeposit().call() > 0

    op = wallet.sign(build_sponsored(wallet, [Call(target=BURN)], paymaster_key=paymaster_key(chain)))
    assert op.factory == chain.factory and op.paymaster == chain.paymaster
    receipt = wallet.send(op)

    assert receipt["success"] and wallet.deployed
    assert receipt["paymaster"].lower() == chain.paymaster.lower()
    assert w3.eth.get_balance(wallet.address) == 0
    actual_gas_cost = int(receipt["actualGasCost"], 16)
    assert actual_gas_cost > 0
    assert before - paymaster_deposit(chain) == actual_gas_cost
    # A second, ordinary operation from the now deployed account is sponsored too.
    second = wallet.send(wallet.sign(build_sponsored(wallet, [Call(target=BURN)], paymaster_key=paymaster_key(chain))))
    assert second["success"] and w3.eth.get_balance(wallet.address) == 0


def test_signature_by_another_key_is_refused(devchain: DevChain, w3: Web3) -> None:
    wallet = Wallet.new(devchain, w3)
    op = wallet.sign(build_sponsored(wallet, [Call(target=BURN)], paymaster_key=bytes(Account.create().key)))
    alto, entry_point = _refused(wallet, op)
    assert alto == AA34
    assert entry_point == "AA34 signature error"
    assert not wallet.deployed


def test_expired_signature_is_refused(devchain: DevChain, w3: Web3) -> None:
    wallet = Wallet.new(devchain, w3)
    now = latest_timestamp(w3)
    op = wallet.sign(
        build_sponsored(wallet, [Call(target=BURN)], paymaster_key=paymaster_key(devchain), valid_until=now - 1)
    )
    alto, entry_point = _refused(wallet, op)
    assert alto == AA32
    assert entry_point == "AA32 paymaster expired or not due"


def test_not_yet_valid_signature_is_refused(devchain: DevChain, w3: Web3) -> None:
    wallet = Wallet.new(devchain, w3)
    now = latest_timestamp(w3)
    op = wallet.sign(
        build_sponsored(
            wallet,
            [Call(target=BURN)],
            paymaster_key=paymaster_key(devchain),
            valid_after=now + 3600,
            valid_until=now + 7200,
        )
    )
    alto, entry_point = _refused(wallet, op)
    assert alto == AA32
    assert entry_point == "AA32 paymaster expired or not due"


@pytest.mark.parametrize(
    "field",
    ["call_gas_limit", "verification_gas_limit", "pre_verification_gas", "max_fee_per_gas", "paymaster_post_op"],
)
def test_gas_field_changed_after_signing_is_refused(devchain: DevChain, w3: Web3, field: str) -> None:
    wallet = Wallet.new(devchain, w3)
    signed = build_sponsored(wallet, [Call(target=BURN)], paymaster_key=paymaster_key(devchain))
    if field == "paymaster_post_op":
        tampered = signed.replace(paymaster_post_op_gas_limit=signed.paymaster_post_op_gas_limit + 1)
    else:
        tampered = signed.replace(**{field: getattr(signed, field) + 1})
    op = wallet.sign(tampered)  # the account signs the tampered op: only the paymaster's signature is stale
    alto, entry_point = _refused(wallet, op)
    assert alto == AA34
    assert entry_point == "AA34 signature error"
    # The untampered op, signed by the account, still goes through.
    assert wallet.send(wallet.sign(signed))["success"]


# --- signer rotation and the owner's functions ------------------------------------------------------------------


@pytest.fixture(scope="module")
def external_signer_chain() -> Iterator[tuple[DevChain, Web3, Any]]:
    """A chain started with a signer address the caller holds the key of (as the Django side does)."""
    key = Account.create()
    with start_devchain(chain_id=31_377, paymaster_signer=key.address) as chain:
        yield chain, Web3(Web3.HTTPProvider(chain.rpc_url, request_kwargs={"timeout": 30})), key


def test_external_signer_then_rotation(external_signer_chain: tuple[DevChain, Web3, Any]) -> None:
    chain, w3, first_key = external_signer_chain
    assert chain.paymaster_signer is None and chain.paymaster_owner == chain.deployer
    assert paymaster_signer_address(chain) == first_key.address
    assert paymaster_deposit(chain) == 100 * 10**18

    wallet = Wallet.new(chain, w3)
    assert wallet.send(wallet.sign(build_sponsored(wallet, [Call(target=BURN)], paymaster_key=bytes(first_key.key))))

    second_key = Account.create()
    set_paymaster_signer(chain, second_key.address)
    assert paymaster_signer_address(chain) == second_key.address

    stale = wallet.sign(build_sponsored(wallet, [Call(target=BURN)], paymaster_key=bytes(first_key.key)))
    alto, entry_point = _refused(wallet, stale)
    assert alto == AA34 and entry_point == "AA34 signature error"
    receipt = wallet.send(
        wallet.sign(build_sponsored(wallet, [Call(target=BURN)], paymaster_key=bytes(second_key.key)))
    )
    assert receipt["success"] and receipt["paymaster"].lower() == chain.paymaster.lower()


def test_only_the_owner_manages_the_paymaster(external_signer_chain: tuple[DevChain, Web3, Any]) -> None:
    chain, w3, _ = external_signer_chain
    contract = _paymaster(w3, chain)
    owner = chain.deployer.address
    stranger = chain.funded_keys[2].address
    assert contract.functions.owner().call() == owner
    assert contract.functions.entryPoint().call() == chain.entry_point
    unauthorized = "OwnableUnauthorizedAccount(address)"
    assert_reverts_with(contract.functions.setSigner(stranger), unauthorized, {"from": stranger})
    assert_reverts_with(contract.functions.withdraw(stranger, 1), unauthorized, {"from": stranger})
    assert_reverts_with(contract.functions.addStake(86_400), unauthorized, {"from": stranger, "value": 1})
    assert_reverts_with(contract.functions.unlockStake(), unauthorized, {"from": stranger})
    assert_reverts_with(contract.functions.withdrawStake(stranger), unauthorized, {"from": stranger})
    assert_reverts_with(
        contract.functions.setSigner("0x" + "00" * 20), "LykosPaymasterInvalidSigner()", {"from": owner}
    )
    assert_reverts_with(contract.functions.renounceOwnership(), "LykosPaymasterCannotRenounce()", {"from": owner})

    # Anyone may top up the deposit; only the owner takes it out.
    before = paymaster_deposit(chain)
    tx = contract.functions.deposit().transact({"from": stranger, "value": 10**18})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert paymaster_deposit(chain) == before + 10**18
    recipient = Account.create().address
    tx = contract.functions.withdraw(recipient, 3 * 10**17).transact({"from": owner})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert w3.eth.get_balance(recipient) == 3 * 10**17
    assert paymaster_deposit(chain) == before + 7 * 10**17

    # Stake (optional for a paymaster that reads only its own storage): added and unlocked by the owner.
    entry_point = contracts.bind(w3, "EntryPoint", chain.entry_point)
    tx = contract.functions.addStake(1).transact({"from": owner, "value": 10**17})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    _, staked, stake, delay, _ = entry_point.functions.getDepositInfo(chain.paymaster).call()
    assert (staked, stake, delay) == (True, 10**17, 1)
    tx = contract.functions.unlockStake().transact({"from": owner})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert entry_point.functions.getDepositInfo(chain.paymaster).call()[1] is False


# --- gas ----------------------------------------------------------------------------------------------------------


def _frame_gas(w3: Web3, tx_hash: str, to: str, selector: str) -> int:
    trace = w3.provider.make_request("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])  # type: ignore[arg-type]
    stack, found = [trace["result"]], []
    while stack:
        frame = stack.pop()
        if frame.get("to", "").lower() == to.lower() and frame["input"].startswith(selector):
            found.append(int(frame["gasUsed"], 16))
        stack.extend(frame.get("calls", []))
    assert len(found) == 1, found
    return found[0]


def test_extra_gas_of_a_sponsored_operation(devchain: DevChain, w3: Web3) -> None:
    """The same transfer from the same deployed account, once self-paid and once sponsored (run with -s)."""
    wallet = Wallet.new(devchain, w3)
    wallet.fund()
    wallet.execute([Call(target=BURN, value=1)])  # deploys
    plain_op = wallet.sign(wallet.build([Call(target=BURN, value=1)]))
    plain = wallet.send(plain_op)
    sponsored_op = wallet.sign(
        build_sponsored(wallet, [Call(target=BURN, value=1)], paymaster_key=paymaster_key(devchain))
    )
    sponsored = wallet.send(sponsored_op)
    validation = _frame_gas(w3, sponsored["receipt"]["transactionHash"], devchain.paymaster, VALIDATE_PAYMASTER_USER_OP)
    numbers = {
        "self_paid_actual_gas_used": int(plain["actualGasUsed"], 16),
        "sponsored_actual_gas_used": int(sponsored["actualGasUsed"], 16),
        "self_paid_pre_verification_gas": plain_op.pre_verification_gas,
        "sponsored_pre_verification_gas": sponsored_op.pre_verification_gas,
        "validate_paymaster_user_op": validation,
        "paymaster_verification_gas_limit": sponsored_op.paymaster_verification_gas_limit,
    }
    print("\nsponsored vs self-paid:", numbers)
    extra = numbers["sponsored_actual_gas_used"] - numbers["self_paid_actual_gas_used"]
    assert 5_000 < extra < 40_000, numbers
    assert validation < paymaster_data.PAYMASTER_VERIFICATION_GAS_LIMIT // 2, numbers

"""LykosAccount on anvil with the real EntryPoint v0.8 and the alto bundler: passkey ownership rules.

Every accepted operation goes through eth_estimateUserOperationGas + eth_sendUserOperation and is checked on its
receipt; every refusal is checked twice, at the bundler and with a direct EntryPoint.handleOps call, so the refusal
is the account's and not a bundler policy.
"""

from __future__ import annotations

import secrets

import pytest
from web3 import Web3

from apps.chain import contracts, userops
from apps.chain.dev import DevChain
from apps.chain.errors import BundlerError
from apps.chain.userops import Call, UserOperation
from tests.support.accounts import (
    Passkey,
    Wallet,
    assert_reverts_with,
    events,
    factory,
    handle_ops_failure,
    signer_of,
    wait_for_receipt,
)

BURN = "0x000000000000000000000000000000000000dEaD"


def _transfer(wallet: Wallet, value: int = 1234) -> list[Call]:
    return [Call(target=BURN, value=value)]


@pytest.fixture(scope="module")
def deployed(devchain: DevChain, w3: Web3) -> Wallet:
    """One deployed, funded account for tests whose operations are all refused (they leave no state behind)."""
    wallet = Wallet.new(devchain, w3)
    wallet.fund()
    wallet.execute(_transfer(wallet, 1))
    return wallet


def _assert_refused(wallet: Wallet, op: UserOperation) -> None:
    assert handle_ops_failure(wallet, op) == "AA24 signature error"
    with pytest.raises(BundlerError) as refused:
        wallet.submit(op)
    assert "AA24" in refused.value.message


# --- a. a passkey signature deploys the account and runs its first operation ---------------------------------


def test_first_operation_deploys_the_account_and_runs_a_passkey_signed_transfer(devchain: DevChain, w3: Web3) -> None:
    wallet = Wallet.new(devchain, w3)
    wallet.fund(10**18)
    assert not wallet.deployed
    burn_before = w3.eth.get_balance(BURN)

    op = wallet.build(_transfer(wallet, 10**15))
    assert op.factory == devchain.factory and op.paymaster is None
    receipt = wallet.send(wallet.sign(op))

    assert wallet.deployed
    assert receipt["sender"] == wallet.address
    assert w3.eth.get_balance(BURN) - burn_before == 10**15
    account = wallet.contract
    assert account.functions.isOwner(*wallet.owner.key_tuple()).call()
    assert account.functions.owners().call() == [wallet.owner.key_tuple()]
    assert account.functions.entryPoint().call() == contracts.ENTRY_POINT_V08
    # The account paid its own gas (no paymaster): its balance fell by more than the transfer.
    assert w3.eth.get_balance(wallet.address) < 10**18 - 10**15


def test_local_user_op_hash_matches_the_entry_point(deployed: Wallet) -> None:
    op = deployed.sign(deployed.build(_transfer(deployed)))
    entry_point = contracts.bind(deployed.w3, "EntryPoint", deployed.chain.entry_point)
    assert entry_point.functions.getUserOpHash(op.packed()).call() == deployed.op_hash(op)


# --- b. refusals ----------------------------------------------------------------------------------------------


def test_signature_from_a_key_that_is_not_an_owner_is_refused(deployed: Wallet) -> None:
    stranger = Passkey.create()
    op = deployed.build(_transfer(deployed), signer=stranger)
    _assert_refused(deployed, deployed.sign(op, stranger))


def test_owner_signer_with_another_keys_signature_is_refused(deployed: Wallet) -> None:
    stranger = Passkey.create()
    op = deployed.build(_transfer(deployed))
    forged = userops.encode_account_signature(
        signer=signer_of(deployed.chain, deployed.owner),
        webauthn_signature=stranger.webauthn_signature(deployed.op_hash(op)),
    )
    _assert_refused(deployed, op.replace(signature=forged))


def test_signature_over_another_challenge_is_refused(deployed: Wallet) -> None:
    op = deployed.build(_transfer(deployed))
    wrong = userops.encode_account_signature(
        signer=signer_of(deployed.chain, deployed.owner),
        webauthn_signature=deployed.owner.webauthn_signature(secrets.token_bytes(32)),
    )
    _assert_refused(deployed, op.replace(signature=wrong))


def test_high_s_signature_is_refused_and_its_low_s_twin_accepted(deployed: Wallet) -> None:
    op = deployed.build(_transfer(deployed))
    _assert_refused(deployed, deployed.sign(op, make_high_s=True))
    deployed.send(deployed.sign(op))  # the same op, normalised: proves the refusal was about s alone


def test_assertion_without_user_verification_is_refused(devchain: DevChain, w3: Web3) -> None:
    no_uv = Passkey.create(user_verification=False)
    wallet = Wallet.new(devchain, w3, owner=no_uv)
    wallet.fund()
    op = wallet.build(_transfer(wallet))
    signed = wallet.sign(op)
    auth_data_flags = _authenticator_flags(signed.signature)
    assert auth_data_flags & 0x01 and not auth_data_flags & 0x04  # user present, not verified
    _assert_refused(wallet, signed)


def _authenticator_flags(account_signature: bytes) -> int:
    from eth_abi import decode

    (_, signatures) = decode(["bytes[]", "bytes[]"], account_signature)
    webauthn = decode(["bytes32", "bytes32", "uint256", "uint256", "bytes", "string"], signatures[0])
    return webauthn[4][32]


# --- c. owners are managed by the account itself ---------------------------------------------------------------


def test_added_owner_can_sign_and_removed_owner_cannot(devchain: DevChain, w3: Web3) -> None:
    wallet = Wallet.new(devchain, w3)
    wallet.fund()
    phone = Passkey.create()

    receipt = wallet.execute([wallet.self_call("addOwner", *phone.key_tuple())])
    account = wallet.contract
    # This first op also deployed the account, whose initialization added the initial owner.
    added = [(e.args.x, e.args.y) for e in events(account, receipt, "OwnerAdded")]
    assert added == [wallet.owner.key_tuple(), phone.key_tuple()]
    assert account.functions.isOwner(*phone.key_tuple()).call()

    wallet.execute(_transfer(wallet), signer=phone)  # the new device signs on its own

    wallet.execute([wallet.self_call("removeOwner", *phone.key_tuple())])
    assert not account.functions.isOwner(*phone.key_tuple()).call()
    assert account.functions.owners().call() == [wallet.owner.key_tuple()]
    _assert_refused(wallet, wallet.sign(wallet.build(_transfer(wallet), signer=phone), phone))


def test_owners_change_only_through_the_account(deployed: Wallet) -> None:
    account = deployed.contract
    outsider = deployed.chain.funded_keys[2].address
    key = Passkey.create().key_tuple()
    unauthorized = "AccountUnauthorized(address)"
    assert_reverts_with(account.functions.addOwner(*key), unauthorized, {"from": outsider})
    assert_reverts_with(account.functions.removeOwner(*deployed.owner.key_tuple()), unauthorized, {"from": outsider})
    # Not even the EntryPoint may call them directly: only execute() from an owner-signed op reaches them.
    assert_reverts_with(account.functions.addOwner(*key), unauthorized, {"from": deployed.chain.entry_point})


def test_removing_the_last_owner_is_refused(deployed: Wallet) -> None:
    account = deployed.contract
    last = deployed.owner.key_tuple()
    assert_reverts_with(account.functions.removeOwner(*last), "LykosLastOwner()", {"from": deployed.address})
    # The same call as an owner-signed op would send it: EntryPoint -> execute -> account.removeOwner.
    call_data = userops.encode_execute([deployed.self_call("removeOwner", *last)])
    with pytest.raises(Exception) as reverted:
        deployed.w3.eth.call({"from": deployed.chain.entry_point, "to": deployed.address, "data": call_data})
    assert Web3.keccak(text="LykosLastOwner()")[:4].hex() in str(reverted.value)


def test_adding_an_invalid_or_duplicate_key_is_refused(deployed: Wallet) -> None:
    account = deployed.contract
    tx = {"from": deployed.address}
    not_on_curve = (b"\x01" * 32, b"\x02" * 32)
    assert_reverts_with(account.functions.addOwner(*not_on_curve), "LykosInvalidOwnerKey(bytes32,bytes32)", tx)
    assert_reverts_with(
        account.functions.addOwner(*deployed.owner.key_tuple()), "MultiSignerERC7913AlreadyExists(bytes)", tx
    )


# --- ERC-1271 -------------------------------------------------------------------------------------------------


def test_erc1271_accepts_owner_signatures_bound_to_this_account_only(
    devchain: DevChain, w3: Web3, deployed: Wallet
) -> None:
    account = deployed.contract
    message = secrets.token_bytes(32)
    bound = account.functions.replaySafeHash(message).call()
    good = userops.encode_account_signature(
        signer=signer_of(devchain, deployed.owner), webauthn_signature=deployed.owner.webauthn_signature(bound)
    )
    assert account.functions.isValidSignature(message, good).call() == bytes.fromhex("1626ba7e")

    raw = userops.encode_account_signature(
        signer=signer_of(devchain, deployed.owner), webauthn_signature=deployed.owner.webauthn_signature(message)
    )
    assert account.functions.isValidSignature(message, raw).call() == bytes.fromhex("ffffffff")

    # Same passkey, second account: the first account's signature does not carry over.
    twin = Wallet.new(devchain, w3, owner=deployed.owner)
    twin.deploy_directly()
    assert twin.contract.functions.isValidSignature(message, good).call() == bytes.fromhex("ffffffff")


# --- d. no precompile: OpenZeppelin's Solidity P-256 verifier -------------------------------------------------


def test_fallback_verifier_validates_on_a_chain_without_the_precompile(prague_chain: DevChain, prague_w3: Web3) -> None:
    assert not prague_chain.p256_precompile
    wallet = Wallet.new(prague_chain, prague_w3)
    wallet.fund()
    wallet.execute(_transfer(wallet))
    receipt = wallet.execute(_transfer(wallet))
    assert receipt["success"]
    stranger = Passkey.create()
    _assert_refused(wallet, wallet.sign(wallet.build(_transfer(wallet), signer=stranger), stranger))


# --- f. counterfactual address -------------------------------------------------------------------------------


def test_counterfactual_address_is_the_deployed_address_on_both_chains(
    devchain: DevChain, w3: Web3, prague_chain: DevChain, prague_w3: Web3
) -> None:
    owner, salt = Passkey.create(), secrets.randbits(64)
    assert devchain.chain_id != prague_chain.chain_id
    assert (devchain.factory, devchain.implementation) == (prague_chain.factory, prague_chain.implementation)

    predicted = contracts.account_address(owner.qx, owner.qy, salt)
    for chain, web3 in ((devchain, w3), (prague_chain, prague_w3)):
        wallet = Wallet.new(chain, web3, owner=owner, salt=salt)
        assert wallet.address == predicted
        wallet.fund()
        receipt = wallet.execute(_transfer(wallet))
        assert receipt["sender"] == predicted and wallet.deployed
        assert factory(chain, web3).functions.getAddress(*owner.key_tuple(), salt).call() == predicted

    other_salt = Wallet.new(devchain, w3, owner=owner, salt=salt + 1)
    assert other_salt.address != predicted


def test_create_account_is_idempotent(devchain: DevChain, w3: Web3) -> None:
    wallet = Wallet.new(devchain, w3)
    wallet.deploy_directly()
    fac = factory(devchain, w3)
    assert fac.functions.createAccount(*wallet.owner.key_tuple(), wallet.salt).call() == wallet.address
    wallet.deploy_directly()  # a second deployment transaction succeeds and changes nothing
    assert wallet.contract.functions.owners().call() == [wallet.owner.key_tuple()]
    assert_reverts_with(
        wallet.contract.functions.initialize(*Passkey.create().key_tuple()),
        "InvalidInitialization()",
        {"from": devchain.funded_keys[2].address},
    )


# --- ERC-7821 batches ------------------------------------------------------------------------------------------


def test_one_operation_runs_a_batch_of_token_calls(devchain: DevChain, w3: Web3) -> None:
    token_artifact = contracts.load_artifact("LykosTestToken")
    deployer = devchain.funded_keys[1].address
    tx = w3.eth.send_transaction({"from": deployer, "data": "0x" + token_artifact.bytecode.hex()})
    token = w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=token_artifact.abi)

    wallet = Wallet.new(devchain, w3)
    wallet.fund()
    tx = token.functions.mint(wallet.address, 1000).transact({"from": deployer})
    w3.eth.wait_for_transaction_receipt(tx)
    alice, bob = devchain.funded_keys[4].address, devchain.funded_keys[5].address

    def call(fn: str, *args: object) -> Call:
        return Call(target=token.address, data=bytes.fromhex(token.functions[fn](*args)._encode_transaction_data()[2:]))

    wallet.execute([call("transfer", alice, 300), call("approve", bob, 50), Call(target=BURN, value=7)])
    assert token.functions.balanceOf(wallet.address).call() == 700
    assert token.functions.balanceOf(alice).call() == 300
    assert token.functions.allowance(wallet.address, bob).call() == 50

    # A batch is all-or-nothing: a failing call reverts the others (the op is included but unsuccessful).
    op = wallet.sign(
        wallet.build([call("transfer", alice, 1)]).replace(
            call_data=userops.encode_execute([call("transfer", alice, 1), call("transfer", alice, 10**6)]),
        )
    )
    assert not wait_for_receipt(wallet.bundler, wallet.submit(op))["success"]
    assert token.functions.balanceOf(alice).call() == 300

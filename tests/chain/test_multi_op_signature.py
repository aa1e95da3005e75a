"""One owner signature over the Merkle root of several userOpHashes (LykosAccount's multi-operation signature):
each operation validates with its own proof; a proof that does not lead to the signed root is refused."""

from __future__ import annotations

import secrets

import pytest

from apps.chain import userops
from apps.chain.errors import BundlerError
from apps.chain.userops import Call
from tests.support import accounts as support

BURN = "0x000000000000000000000000000000000000dEaD"


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8])
def test_every_proof_folds_to_the_root(count: int) -> None:
    leaves = [secrets.token_bytes(32) for _ in range(count)]
    root, proofs = userops.merkle_tree(leaves)
    assert all(userops.merkle_root_of(leaf, proof) == root for leaf, proof in zip(leaves, proofs, strict=True))
    assert max(len(p) for p in proofs) == (count - 1).bit_length()
    with pytest.raises(ValueError):
        userops.merkle_tree([leaves[0], leaves[0]])


def _signed(
    wallet: support.Wallet, op: userops.UserOperation, root: bytes, proof: list[bytes]
) -> userops.UserOperation:
    inner = userops.encode_account_signature(
        signer=support.signer_of(wallet.chain, wallet.owner), webauthn_signature=wallet.owner.webauthn_signature(root)
    )
    return op.replace(signature=userops.encode_multi_op_signature(proof=proof, account_signature=inner))


def test_one_assertion_over_a_root_signs_several_operations(devchain, w3) -> None:  # type: ignore[no-untyped-def]
    wallet = support.Wallet.new(devchain, w3)
    wallet.fund(10**17)
    wallet.deploy_directly()
    first = wallet.build([Call(target=BURN, value=1)])
    # Room for the proof's bytes, which the dummy signature of the estimate does not have.
    first = first.replace(pre_verification_gas=first.pre_verification_gas + 2_000)
    second = first.replace(nonce=first.nonce + 1)
    root, proofs = userops.merkle_tree([wallet.op_hash(first), wallet.op_hash(second)])

    wallet.send(_signed(wallet, first, root, proofs[0]))
    wallet.send(_signed(wallet, second, root, proofs[1]))

    # The same root with a proof that does not lead to it (a third op nobody signed) fails validation.
    third = first.replace(nonce=first.nonce + 2)
    with pytest.raises(BundlerError, match=r"AA24|signature"):
        wallet.submit(_signed(wallet, third, root, proofs[0]))

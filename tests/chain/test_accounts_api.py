"""Each user gets a counterfactual smart account per enabled chain at sign-up, from the factory itself."""

import pytest
from django.test import Client
from eth_utils import to_checksum_address

from apps.chain import contracts
from apps.chain.dev.registry import register
from apps.chain.models import Account, Chain
from apps.chain.selectors import wallet_addresses
from apps.chain.services import accounts_sync, chain_upsert, token_upsert
from apps.chain.userops import Call
from apps.identity.models import Passkey as PasskeyRow
from apps.identity.models import User
from tests.support import accounts as support

pytestmark = pytest.mark.django_db


@pytest.fixture
def chains(devchain, prague_chain):  # type: ignore[no-untyped-def]
    register(devchain, name="Dev")
    register(prague_chain, name="Dev (prague)")
    return devchain, prague_chain


def test_sign_up_derives_the_same_address_on_both_chains_from_the_factory(wallet, chains, w3, prague_w3) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("chain_user")
    accounts = list(Account.objects.filter(user_id=tokens["user"]["id"]).order_by("chain_id"))
    assert [a.chain_id for a in accounts] == [chains[0].chain_id, chains[1].chain_id]
    assert len({a.address for a in accounts}) == 1

    cred = next(iter(wallet.authenticator.credentials.values()))
    x, y = cred.public_xy
    for chain, web3 in ((chains[0], w3), (chains[1], prague_w3)):
        factory = contracts.bind(web3, "LykosAccountFactory", chain.factory)
        on_chain = factory.functions.getAddress(x.to_bytes(32, "big"), y.to_bytes(32, "big"), 0).call()
        assert accounts[0].address == to_checksum_address(on_chain)
    assert accounts[0].owners == [tokens["device"]["id"]]
    assert not accounts[0].deployed


def test_wallet_addresses_lists_the_account_on_each_enabled_chain(wallet, chains) -> None:  # type: ignore[no-untyped-def]
    tokens = wallet.sign_up("wallet_scope_user")
    user = User.objects.get(pk=tokens["user"]["id"])
    address = Account.objects.get(user=user, chain_id=chains[0].chain_id).address
    assert wallet_addresses(user=user) == [
        {"chain_id": chains[0].chain_id, "address": address},
        {"chain_id": chains[1].chain_id, "address": address},
    ]

    Chain.objects.filter(pk=chains[1].chain_id).update(enabled=False)
    assert wallet_addresses(user=user) == [{"chain_id": chains[0].chain_id, "address": address}]


def test_accounts_api_lists_status_and_on_chain_balances(wallet, chains, w3) -> None:  # type: ignore[no-untyped-def]
    devchain = chains[0]
    wallet.sign_up("balance_user")
    address = Account.objects.get(chain_id=devchain.chain_id).address

    # Fund it with ETH and a registered ERC-20 (a real OpenZeppelin token deployed here).
    funder = devchain.funded_keys[1].address
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": funder, "to": address, "value": 123 * 10**15}))
    token_artifact = contracts.load_artifact("LykosTestToken")
    token = w3.eth.contract(abi=token_artifact.abi, bytecode=token_artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(token.constructor().transact({"from": funder}))
    token = w3.eth.contract(address=receipt.contractAddress, abi=token_artifact.abi)
    w3.eth.wait_for_transaction_receipt(token.functions.mint(address, 5_000_000).transact({"from": funder}))
    token_upsert(
        chain=Chain.objects.get(pk=devchain.chain_id), address=receipt.contractAddress, symbol="LTT", decimals=6
    )

    listed = wallet.authed("get", "/api/v1/accounts").json()
    by_chain = {a["chain_id"]: a for a in listed}
    mine = by_chain[devchain.chain_id]
    assert mine["address"] == address and mine["deployed"] is False
    assert {b["symbol"]: b["amount"] for b in mine["balances"]} == {"ETH": str(123 * 10**15), "LTT": "5000000"}


def test_the_first_operation_deploys_the_stored_address(wallet, chains, w3) -> None:  # type: ignore[no-untyped-def]
    devchain = chains[0]
    tokens = wallet.sign_up("deploy_user")
    stored = Account.objects.get(user_id=tokens["user"]["id"], chain_id=devchain.chain_id)
    cred = next(iter(wallet.authenticator.credentials.values()))

    # The user's own passkey signs the first UserOperation, which carries the factory data.
    owner = support.Passkey(credential=cred, authenticator=wallet.authenticator)
    chain_wallet = support.Wallet.new(devchain, w3, owner=owner, salt=0)
    assert chain_wallet.address == stored.address
    chain_wallet.fund()
    receipt = chain_wallet.execute([Call(target=devchain.funded_keys[2].address, value=1)])
    assert receipt["success"] and to_checksum_address(receipt["sender"]) == stored.address

    accounts_sync(user=User.objects.get(pk=tokens["user"]["id"]))
    stored.refresh_from_db()
    assert stored.deployed and stored.deployed_at is not None
    assert wallet.authed("get", "/api/v1/accounts").json()[0]["deployed"] is True


def test_a_chain_that_is_down_does_not_block_sign_up(wallet, devchain) -> None:  # type: ignore[no-untyped-def]
    register(devchain, name="Dev")
    chain_upsert(
        chain_id=99999,
        name="Down",
        rpc_url="http://127.0.0.1:1",
        bundler_url="http://127.0.0.1:1",
        entry_point=devchain.entry_point,
        account_factory=devchain.factory,
    )
    tokens = wallet.sign_up("down_user")
    assert list(Account.objects.filter(user_id=tokens["user"]["id"]).values_list("chain_id", flat=True)) == [
        devchain.chain_id
    ]
    listed = wallet.authed("get", "/api/v1/accounts").json()
    assert [a["chain_id"] for a in listed] == [devchain.chain_id]
    assert PasskeyRow.objects.filter(user_id=tokens["user"]["id"]).count() == 1


def test_readyz_checks_the_chain_and_bundler(client: Client, devchain) -> None:  # type: ignore[no-untyped-def]
    register(devchain, name="Dev")
    body = client.get("/readyz").json()
    assert body["checks"]["chain_rpc"]["ok"] and body["checks"]["bundler"]["ok"]

    Chain.objects.filter(pk=devchain.chain_id).update(bundler_url="http://127.0.0.1:1")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["bundler"]
    Chain.objects.filter(pk=devchain.chain_id).update(rpc_url="http://127.0.0.1:1")
    assert set(client.get("/readyz").json()["failing"]) == {"chain_rpc", "bundler"}

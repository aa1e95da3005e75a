"""/rpc/paymaster: the ERC-7677 paymaster service, driven by viem's own paymaster client (from npm)."""

import json

import pytest
import requests

from apps.chain import userops
from apps.chain.dev import paymaster_deposit
from apps.chain.userops import Call, UserOperation
from apps.paymaster.models import SponsorshipLedgerEntry, SponsorshipPolicy
from apps.paymaster.services import api_key_create, external_sponsorships_settle
from tests.support.accounts import Wallet
from tests.support.sponsored import run_erc7677_client

pytestmark = pytest.mark.django_db(transaction=True)

BURN = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def integrator(sponsor_chain):  # type: ignore[no-untyped-def]
    policy = SponsorshipPolicy.objects.create(name="Integrator", global_budget_wei=10**18, deny_risky_operations=False)
    other = SponsorshipPolicy.objects.create(name="Not theirs", global_budget_wei=10**18)
    _, plaintext = api_key_create(name="Acme", policies=[policy])
    return policy, other, plaintext


def rpc(url: str, method: str, params: list, key: str | None):  # type: ignore[no-untyped-def]
    return requests.post(
        url + "/rpc/paymaster",
        json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params},
        headers={"X-Api-Key": key} if key else {},
        timeout=30,
    )


def stub_params(sponsor_devchain, wallet, policy_id):  # type: ignore[no-untyped-def]
    op = UserOperation(sender=wallet.address, nonce=0, call_data=userops.encode_execute([Call(target=BURN)]))
    return [op.to_rpc(), sponsor_devchain.entry_point, hex(sponsor_devchain.chain_id), {"policyId": policy_id}]


def test_json_rpc_answers_and_refusals(live_server, sponsor_devchain, sponsor_w3, integrator) -> None:  # type: ignore[no-untyped-def]
    policy, other, key = integrator
    wallet = Wallet.new(sponsor_devchain, sponsor_w3)
    params = stub_params(sponsor_devchain, wallet, str(policy.id))

    assert rpc(live_server.url, "pm_getPaymasterStubData", params, None).json()["error"]["code"] == -32001
    assert rpc(live_server.url, "pm_getPaymasterStubData", params, "pm_wrong").json()["error"]["code"] == -32001
    assert rpc(live_server.url, "pm_nope", params, key).json()["error"]["code"] == -32601
    stub = rpc(live_server.url, "pm_getPaymasterStubData", params, key).json()["result"]
    assert stub["paymaster"] == sponsor_devchain.paymaster and stub["isFinal"] is False
    # A policy the key is not bound to, and a chain we do not serve, are refused.
    foreign = rpc(
        live_server.url, "pm_getPaymasterStubData", stub_params(sponsor_devchain, wallet, str(other.id)), key
    ).json()
    assert foreign["error"]["data"]["rule"] == "policy_not_allowed"
    wrong_chain = rpc(live_server.url, "pm_getPaymasterStubData", [params[0], params[1], "0x1", params[3]], key).json()
    assert wrong_chain["error"]["code"] == -32602
    SponsorshipPolicy.objects.filter(pk=policy.pk).update(global_budget_wei=0)
    refused = rpc(live_server.url, "pm_getPaymasterStubData", params, key).json()
    assert refused["error"]["code"] == -32000 and refused["error"]["data"]["rule"] == "over_global_budget"
    assert SponsorshipLedgerEntry.objects.count() == 0


def test_viem_paymaster_client_gets_sponsorship_that_alto_includes(
    live_server, sponsor_devchain, sponsor_w3, integrator
) -> None:  # type: ignore[no-untyped-def]
    policy, _, key = integrator
    chain, w3 = sponsor_devchain, sponsor_w3
    wallet = Wallet.new(chain, w3)
    calls = [Call(target=BURN), Call(target=BURN, data=b"\x12\x34")]
    result = run_erc7677_client(
        wallet, paymaster_url=f"{live_server.url}/rpc/paymaster", api_key=key, calls=calls, policy_id=str(policy.id)
    )
    assert result.returncode == 0, result.stderr
    op = UserOperation.from_rpc(json.loads(result.stdout))
    assert op.paymaster == chain.paymaster and w3.eth.get_balance(wallet.address) == 0

    entry = SponsorshipLedgerEntry.objects.get(policy=policy)
    assert entry.status == "reserved" and entry.api_key.name == "Acme"
    signed = wallet.sign(op)
    assert entry.user_op_hash == "0x" + wallet.op_hash(signed).hex()

    before = paymaster_deposit(chain)
    receipt = wallet.send(signed)
    assert receipt["success"] and wallet.deployed
    assert external_sponsorships_settle() == 1
    entry.refresh_from_db()
    assert entry.status == "settled" and entry.settled_wei == int(receipt["actualGasCost"], 16)
    assert before - paymaster_deposit(chain) == entry.settled_wei

"""Acceptance 1: each dangerous pattern, simulated on anvil against real contracts, yields its warning kind and the
expected action (weights and thresholds are the settings' defaults)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.core.management import call_command

from apps.chain.clients import NodeClient, RpcCall
from apps.chain.errors import ChainUnavailable
from apps.chain.userops import Call
from apps.security.models import ReviewCase, TransactionSimulation
from apps.security.services import counterparty_record
from tests.support.security import MAX_UINT256, call, deploy, fresh_eoa, kinds, lookalike

pytestmark = pytest.mark.django_db


def test_an_unlimited_approval_to_an_eoa_is_blocked(scene) -> None:  # type: ignore[no-untyped-def]
    phisher = fresh_eoa()
    verdict = scene.scan([call(scene.token.functions.approve(phisher, MAX_UINT256))])
    assert {"unlimited_approval", "approval_to_eoa"} <= kinds(verdict)
    assert verdict.action == "BLOCK"
    approval = TransactionSimulation.objects.get(pk=verdict.simulation_id).result["approvals"][0]
    assert (approval["standard"], approval["spender"], approval["amount"]) == ("erc20", phisher, str(MAX_UINT256))
    # The warnings come sorted by severity and carry evidence a client can show.
    warning = next(w for w in verdict.warnings if w.kind == "unlimited_approval")
    assert warning.evidence["spender"] == phisher and warning.severity == "WARNING"


def test_a_bounded_approval_to_a_contract_is_not_an_approval_warning(scene) -> None:  # type: ignore[no-untyped-def]
    from apps.security.services import known_address_upsert

    router = deploy(scene.w3, scene.devchain, "LykosTestDrainer")  # any contract; trusted here as a "router"
    known_address_upsert(address=router.address, label="Router")
    known_address_upsert(address=scene.token.address, label="Token")
    verdict = scene.scan([call(scene.token.functions.approve(router.address, 10**18))])
    assert kinds(verdict) == set()
    assert verdict.action == "NONE"


def test_set_approval_for_all_to_an_unknown_operator_warns(scene, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_NEW_CONTRACT_SECONDS = 0  # isolate the operator rule from "deployed minutes ago"
    operator = deploy(scene.w3, scene.devchain, "LykosTestDrainer")
    verdict = scene.scan([call(scene.nft.functions.setApprovalForAll(operator.address, True))])
    assert kinds(verdict) == {"approval_for_all_unknown_operator"}
    assert verdict.action == "WARN"

    # The same operator, a minutes-old contract the user never used: the two together block.
    settings.SECURITY_NEW_CONTRACT_SECONDS = 3600
    verdict = scene.scan([call(scene.nft.functions.setApprovalForAll(operator.address, True))])
    assert kinds(verdict) == {"approval_for_all_unknown_operator", "new_contract"}
    assert verdict.action == "BLOCK"


def test_a_call_that_lets_the_drainer_pull_the_balance_is_blocked(scene) -> None:  # type: ignore[no-untyped-def]
    drainer = deploy(scene.w3, scene.devchain, "LykosTestDrainer", key=3)
    balance = scene.token.functions.balanceOf(scene.address).call()
    # "Claim your airdrop": approve exactly the balance (no unlimited-approval warning), then claim.
    verdict = scene.scan(
        [
            call(scene.token.functions.approve(drainer.address, balance)),
            call(drainer.functions.claim(scene.token.address)),
        ]
    )
    assert "balance_drain" in kinds(verdict)
    assert "unlimited_approval" not in kinds(verdict)
    assert verdict.action == "BLOCK"
    drain = next(w for w in verdict.warnings if w.kind == "balance_drain")
    assert drain.severity == "CRITICAL"
    assert drain.evidence == {
        "standard": "erc20",
        "token": scene.token.address,
        "token_id": None,
        "amount": str(balance),
        "balance": str(balance),
        "share": 1.0,
        "pulled": True,
    }
    simulation = TransactionSimulation.objects.get(pk=verdict.simulation_id)
    assert simulation.result["balance_deltas"] == [
        {"standard": "erc20", "token": scene.token.address, "token_id": None, "amount": str(-balance)}
    ]
    owner = scene.devchain.funded_keys[3].address
    assert [t["to"] for t in simulation.result["transfers"] if t["standard"] == "erc20"] == [owner]
    # A BLOCK verdict opens a review case linking the scan.
    case = ReviewCase.objects.get(user=scene.user, open_reason="block_verdict", status="open")
    assert verdict.simulation_id in case.linked["simulations"]
    assert case.priority == "high"


def test_nfts_pulled_by_an_approved_operator_are_a_drain(scene, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_NEW_CONTRACT_SECONDS = 0
    drainer = deploy(scene.w3, scene.devchain, "LykosTestDrainer", key=3)
    verdict = scene.scan(
        [
            call(scene.nft.functions.setApprovalForAll(drainer.address, True)),
            call(drainer.functions.claimNFTs(scene.nft.address, [7])),
        ]
    )
    assert {"approval_for_all_unknown_operator", "balance_drain"} <= kinds(verdict)
    assert verdict.action == "BLOCK"


def test_sending_most_of_a_balance_yourself_is_a_large_outflow_not_a_drain(scene) -> None:  # type: ignore[no-untyped-def]
    friend = fresh_eoa()
    counterparty_record(user=scene.user, address=friend)
    counterparty_record(user=scene.user, address=scene.token.address)
    verdict = scene.scan([call(scene.token.functions.transfer(friend, 900 * 10**18))])
    assert kinds(verdict) == {"large_outflow"}
    assert verdict.action == "WARN"


def test_a_transfer_to_a_poisoned_lookalike_address_is_blocked(scene, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_NEW_CONTRACT_SECONDS = 0
    friend = fresh_eoa()
    # The user paid their friend before and said they proceeded: the friend becomes a counterparty.
    first = scene.api_scan([call(scene.token.functions.transfer(friend, 10**18))])
    response = scene.wallet.authed(
        "post", "/api/v1/security/feedback", {"simulation_id": first["simulation_id"], "decision": "proceeded"}
    )
    assert response.status_code == 201, response.content

    poisoned = lookalike(friend)
    assert poisoned != friend
    assert poisoned[:6].lower() == friend[:6].lower() and poisoned[-4:].lower() == friend[-4:].lower()
    verdict = scene.scan([call(scene.token.functions.transfer(poisoned, 10**18))])
    assert "address_poisoning" in kinds(verdict)
    assert verdict.action == "BLOCK"
    warning = next(w for w in verdict.warnings if w.kind == "address_poisoning")
    assert warning.evidence == {"recipient": poisoned, "resembles": friend}

    # The real friend is not a lookalike of themselves.
    assert "address_poisoning" not in kinds(scene.scan([call(scene.token.functions.transfer(friend, 10**18))]))


def test_a_transfer_to_a_threat_listed_address_is_blocked(scene, tmp_path) -> None:  # type: ignore[no-untyped-def]
    scammer, sanctioned = fresh_eoa(), fresh_eoa()
    feed = tmp_path / "threats.csv"
    feed.write_text(f"address,category,source\n{scammer.lower()},drainer,scam-feed\n{sanctioned},sanctioned,ofac\n")
    call_command("security_import_threats", str(feed), "--no-progress", "--no-rescan")

    verdict = scene.scan([call(scene.token.functions.transfer(scammer, 10**18))])
    assert "threat_listed_address" in kinds(verdict)
    assert verdict.action == "BLOCK"
    assert verdict.warnings[0].kind == "threat_listed_address"  # CRITICAL sorts first
    assert verdict.warnings[0].evidence["category"] == "drainer"

    plain_eth = scene.scan([type(call(scene.token.functions.transfer(sanctioned, 1)))(target=sanctioned, value=0)])
    assert "sanctioned_address" in kinds(plain_eth)
    assert plain_eth.action == "BLOCK"


def _drain_calls(scene) -> list[Call]:  # type: ignore[no-untyped-def]
    drainer = deploy(scene.w3, scene.devchain, "LykosTestDrainer", key=3)
    balance = scene.token.functions.balanceOf(scene.address).call()
    return [
        call(scene.token.functions.approve(drainer.address, balance)),
        call(drainer.functions.claim(scene.token.address)),
    ]


def test_the_rules_read_the_chain_in_one_batch(scene, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The approved spender's code and the leaving balance go to the node as one JSON-RPC batch per scan."""
    settings.SECURITY_NEW_CONTRACT_SECONDS = 0  # its binary search over past blocks is sequential by nature
    calls = _drain_calls(scene)
    batches: list[list[str]] = []
    batch = NodeClient.batch

    def spy(self: NodeClient, reads: Sequence[RpcCall]) -> list[Any]:
        batches.append([read.method for read in reads])
        return batch(self, reads)

    def single_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("read one by one although the batch answered")

    monkeypatch.setattr(NodeClient, "batch", spy)
    monkeypatch.setattr(NodeClient, "erc20_balance", single_read)
    verdict = scene.scan(calls)
    assert "balance_drain" in kinds(verdict)
    assert batches == [["eth_getCode", "eth_call"]]


def test_a_failed_batch_falls_back_to_single_reads(scene, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One reverting read fails a whole batch: the rules then read one by one rather than score blind."""
    settings.SECURITY_NEW_CONTRACT_SECONDS = 0
    calls = _drain_calls(scene)

    def refused(self: NodeClient, reads: Sequence[RpcCall]) -> list[Any]:
        raise ChainUnavailable("A batched read failed.")

    monkeypatch.setattr(NodeClient, "batch", refused)
    verdict = scene.scan(calls)
    drain = next(w for w in verdict.warnings if w.kind == "balance_drain")
    assert drain.evidence["balance"] == drain.evidence["amount"]
    assert verdict.action == "BLOCK"

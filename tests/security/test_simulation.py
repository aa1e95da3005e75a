"""Acceptance 1, 2 and 5: simulations on anvil with real OpenZeppelin contracts show exact balance deltas, decode
revert reasons, simulate an undeployed account's first operation, and are served from Redis the second time."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address
from prometheus_client import REGISTRY

from apps.security.models import TransactionSimulation
from tests.support.security import call, deploy, fresh_eoa, kinds

pytestmark = pytest.mark.django_db


def test_a_batch_shows_the_exact_balance_deltas_of_every_asset(scene) -> None:  # type: ignore[no-untyped-def]
    scene.fund(10**18)
    multi = deploy(scene.w3, scene.devchain, "LykosTestMultiToken")
    multi.functions.mint(scene.address, 5, 40).transact({"from": scene.devchain.funded_keys[2].address})
    friend = fresh_eoa()
    calls = [
        call(scene.token.functions.transfer(friend, 250 * 10**18)),
        call(scene.nft.functions.transferFrom(scene.address, friend, 7)),
        call(multi.functions.safeTransferFrom(scene.address, friend, 5, 15, b"")),
        call(scene.token.functions.balanceOf(friend)),  # a read: no effect
    ]
    calls.append(type(calls[0])(target=friend, value=3 * 10**17))  # plain ETH

    verdict = scene.scan(calls)
    simulation = TransactionSimulation.objects.get(pk=verdict.simulation_id)

    assert simulation.status == "success"
    assert simulation.gas_used and simulation.gas_used > 50_000
    assert simulation.result["balance_deltas"] == [
        {"standard": "erc1155", "token": multi.address, "token_id": "5", "amount": "-15"},
        {"standard": "erc20", "token": scene.token.address, "token_id": None, "amount": str(-250 * 10**18)},
        {"standard": "erc721", "token": scene.nft.address, "token_id": "7", "amount": "-1"},
        {"standard": "native", "token": "", "token_id": None, "amount": str(-3 * 10**17)},
    ]
    native = [t for t in simulation.result["transfers"] if t["standard"] == "native"]
    assert native == [
        {
            "standard": "native",
            "token": "",
            "token_id": None,
            "from": scene.address,
            "to": friend,
            "amount": str(3 * 10**17),
            "pulled": False,
        }
    ]
    # Nothing moved on chain: it was a simulation.
    assert scene.token.functions.balanceOf(scene.address).call() == 1_000 * 10**18
    assert scene.nft.functions.ownerOf(7).call() == scene.address
    # The scan is a plain, small transfer batch: fresh contracts are the only thing worth mentioning.
    assert kinds(verdict) <= {"new_contract", "new_device", "new_session"}


def test_the_scan_api_returns_the_verdict_and_the_deltas(scene) -> None:  # type: ignore[no-untyped-def]
    friend = fresh_eoa()
    body = scene.api_scan([call(scene.token.functions.transfer(friend, 10**18))])
    assert body["simulation"]["status"] == "success"
    assert body["simulation"]["balance_deltas"] == [
        {"standard": "erc20", "token": scene.token.address, "token_id": None, "amount": str(-(10**18))}
    ]
    assert body["action"] in {"NONE", "WARN"}
    assert {"new_device", "new_session"} <= {w["kind"] for w in body["warnings"]}  # signed up seconds ago
    assert [w["severity"] for w in body["warnings"]] == sorted(
        (w["severity"] for w in body["warnings"]), key=["CRITICAL", "WARNING", "INFO"].index
    )


def test_an_undeployed_accounts_first_operation_simulates_through_a_state_override(scene) -> None:  # type: ignore[no-untyped-def]
    scene.fund(2 * 10**18)
    assert scene.w3.eth.get_code(scene.address) == b""
    friend = fresh_eoa()
    verdict = scene.scan(
        [
            type(call(scene.token.functions.balanceOf(friend)))(target=friend, value=10**18),
            call(scene.token.functions.transfer(friend, 5 * 10**18)),
        ]
    )
    simulation = TransactionSimulation.objects.get(pk=verdict.simulation_id)
    assert simulation.request["deployed"] is False
    assert simulation.status == "success", simulation.revert_reason
    assert {d["standard"]: d["amount"] for d in simulation.result["balance_deltas"]} == {
        "native": str(-(10**18)),
        "erc20": str(-5 * 10**18),
    }
    assert scene.w3.eth.get_code(scene.address) == b""  # still counterfactual

    # Once deployed, the same calls simulate the same way without an override.
    scene.deploy_account()
    again = TransactionSimulation.objects.get(
        pk=scene.scan([call(scene.token.functions.transfer(friend, 5 * 10**18))]).simulation_id
    )
    assert again.request["deployed"] is True
    assert again.result["balance_deltas"] == [
        {"standard": "erc20", "token": scene.token.address, "token_id": None, "amount": str(-5 * 10**18)}
    ]


def test_reverts_report_the_decoded_reason(scene) -> None:  # type: ignore[no-untyped-def]
    reverter = deploy(scene.w3, scene.devchain, "LykosTestReverter")
    too_much = scene.scan([call(scene.token.functions.transfer(fresh_eoa(), 2_000 * 10**18))])
    simulation = TransactionSimulation.objects.get(pk=too_much.simulation_id)
    assert simulation.status == "reverted"
    assert simulation.revert_reason == (
        f"ERC20InsufficientBalance(sender={scene.address}, balance={1_000 * 10**18}, needed={2_000 * 10**18})"
    )
    assert "simulation_reverted" in kinds(too_much)
    assert too_much.action == "WARN"

    cases = {
        "failWithReason": (("the vault is closed",), "the vault is closed"),
        "failWithPanic": ((0,), "Panic(0x12): division or modulo by zero"),
        "failWithError": ((42,), f"LykosTestRefused(caller={scene.address}, code=42)"),
    }
    for fn, (args, reason) in cases.items():
        verdict = scene.scan([call(reverter.functions[fn](*args))])
        assert TransactionSimulation.objects.get(pk=verdict.simulation_id).revert_reason == reason
        warning = next(w for w in verdict.warnings if w.kind == "simulation_reverted")
        assert warning.evidence["revert_reason"] == reason


def test_the_same_scan_at_the_same_block_is_served_from_the_cache(scene) -> None:  # type: ignore[no-untyped-def]
    def count(result: str) -> float:
        return REGISTRY.get_sample_value("lykos_security_simulation_cache_total", {"result": result}) or 0.0

    calls = [call(scene.token.functions.transfer(fresh_eoa(), 10**18))]
    hits, misses = count("hit"), count("miss")
    first = scene.scan(calls)
    second = scene.scan(calls)
    assert (count("miss") - misses, count("hit") - hits) == (1, 1)
    a = TransactionSimulation.objects.get(pk=first.simulation_id)
    b = TransactionSimulation.objects.get(pk=second.simulation_id)
    assert (a.from_cache, b.from_cache) == (False, True)
    assert a.block_number == b.block_number
    assert a.result == b.result

    # A new block is a new simulation.
    scene.fund(1)
    scene.scan(calls)
    assert count("miss") - misses == 2


def test_history_velocity_and_new_contract_rules(scene, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_VELOCITY_MAX_OPERATIONS = 4
    friend = fresh_eoa()
    for _ in range(3):
        scene.scan([call(scene.token.functions.transfer(friend, 10**18))])
    big = scene.scan([call(scene.token.functions.transfer(friend, 500 * 10**18))])
    assert "value_above_history" in kinds(big)
    evidence = next(w for w in big.warnings if w.kind == "value_above_history").evidence
    assert evidence == {
        "asset": scene.token.address,
        "amount": str(500 * 10**18),
        "usual_max": str(10**18),
        "samples": 3,
    }
    assert "new_contract" in kinds(big)  # the token was deployed seconds ago and never used by this user

    spike = scene.scan([call(scene.token.functions.transfer(friend, 10**18))])
    assert "velocity" in kinds(spike)
    from apps.security.models import ReviewCase

    case = ReviewCase.objects.get(user=scene.user, open_reason="velocity_spike", status="open")
    assert spike.simulation_id in case.linked["simulations"]


def test_a_trusted_contract_is_not_new_and_the_rule_can_be_switched_off(scene, settings) -> None:  # type: ignore[no-untyped-def]
    from apps.security.models import KnownAddress

    calls = [call(scene.token.functions.transfer(fresh_eoa(), 10**18))]
    assert "new_contract" in kinds(scene.scan(calls))
    KnownAddress.objects.create(address=to_checksum_address(scene.token.address), label="Test token")
    trusted = scene.scan(calls)
    assert (kinds(trusted), trusted.action, trusted.score) == (set(), "NONE", 0)

    settings.SECURITY_NEW_CONTRACT_SECONDS = 0
    nft_calls = [call(scene.nft.functions.transferFrom(scene.address, fresh_eoa(), 7))]
    assert "new_contract" not in kinds(scene.scan(nft_calls))

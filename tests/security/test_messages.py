"""Acceptance 3: EIP-712 messages a user is asked to sign (ERC-20 permit, Permit2, Seaport) are scanned for unlimited
and long-lived allowances and for the spender's reputation, with the same verdict shape, through the API."""

from __future__ import annotations

import time

import pytest

from apps.security.services import known_address_upsert
from tests.support.security import MAX_UINT256, deploy, fresh_eoa

pytestmark = pytest.mark.django_db

PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def scan(scene, typed_data):  # type: ignore[no-untyped-def]
    response = scene.wallet.authed(
        "post", "/api/v1/security/scan/message", {"chain_id": scene.chain.chain_id, "typed_data": typed_data}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    return body, {w["kind"] for w in body["warnings"]}


def permit2_single(scene, *, spender: str, amount: int, expiration: int) -> dict:  # type: ignore[no-untyped-def]
    return {
        "types": {
            "EIP712Domain": EIP712_DOMAIN,
            "PermitSingle": [
                {"name": "details", "type": "PermitDetails"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": [
                {"name": "token", "type": "address"},
                {"name": "amount", "type": "uint160"},
                {"name": "expiration", "type": "uint48"},
                {"name": "nonce", "type": "uint48"},
            ],
        },
        "primaryType": "PermitSingle",
        "domain": {"name": "Permit2", "chainId": scene.chain.chain_id, "verifyingContract": PERMIT2},
        "message": {
            "details": {"token": scene.token.address, "amount": str(amount), "expiration": expiration, "nonce": 0},
            "spender": spender,
            "sigDeadline": str(int(time.time()) + 1800),
        },
    }


def erc20_permit(scene, *, spender: str, value: int, deadline: int) -> dict:  # type: ignore[no-untyped-def]
    return {
        "types": {
            "EIP712Domain": [*EIP712_DOMAIN[:1], {"name": "version", "type": "string"}, *EIP712_DOMAIN[1:]],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": "Lykos Test Token",
            "version": "1",
            "chainId": scene.chain.chain_id,
            "verifyingContract": scene.token.address,
        },
        "message": {
            "owner": scene.address,
            "spender": spender,
            "value": str(value),
            "nonce": "0",
            "deadline": str(deadline),
        },
    }


def test_an_unlimited_far_future_permit2_allowance_to_an_eoa_is_blocked(scene) -> None:  # type: ignore[no-untyped-def]
    far_future = int(time.time()) + 5 * 365 * 86400
    body, found = scan(scene, permit2_single(scene, spender=fresh_eoa(), amount=2**160 - 1, expiration=far_future))
    assert {"unlimited_permit", "long_lived_permit", "permit_to_eoa"} <= found
    assert body["action"] == "BLOCK"
    assert body["simulation"]["status"] == "not_simulated"
    unlimited = next(w for w in body["warnings"] if w["kind"] == "unlimited_permit")
    assert unlimited["evidence"]["amount"] == str(2**160 - 1)
    assert unlimited["evidence"]["token"] == scene.token.address


def test_an_unlimited_far_future_erc20_permit_is_flagged(scene) -> None:  # type: ignore[no-untyped-def]
    spender = deploy(scene.w3, scene.devchain, "LykosTestDrainer").address  # a contract nobody vouched for
    body, found = scan(scene, erc20_permit(scene, spender=spender, value=MAX_UINT256, deadline=2**255))
    assert {"unlimited_permit", "long_lived_permit", "unknown_spender"} <= found
    assert "permit_to_eoa" not in found
    assert body["action"] == "WARN"


def test_a_bounded_short_permit_to_a_known_spender_passes(scene) -> None:  # type: ignore[no-untyped-def]
    router = deploy(scene.w3, scene.devchain, "LykosTestDrainer").address
    known_address_upsert(address=router, label="DEX router")
    data = permit2_single(scene, spender=router, amount=25 * 10**18, expiration=int(time.time()) + 3600)
    body, found = scan(scene, data)
    assert found <= {"new_device", "new_session"}
    assert body["action"] == "NONE"


def test_a_threat_listed_spender_in_a_permit_is_blocked(scene) -> None:  # type: ignore[no-untyped-def]
    from apps.security.services import threat_entry_upsert

    thief = fresh_eoa()
    threat_entry_upsert(address=thief, category="phishing", source="test")
    body, found = scan(scene, erc20_permit(scene, spender=thief, value=10, deadline=int(time.time()) + 60))
    assert "threat_listed_address" in found
    assert body["action"] == "BLOCK"


def test_a_seaport_listing_for_nothing_is_blocked_and_a_priced_one_is_not(scene) -> None:  # type: ignore[no-untyped-def]
    def order(price: int) -> dict:
        item = {
            "itemType": 2,
            "token": scene.nft.address,
            "identifierOrCriteria": "7",
            "startAmount": "1",
            "endAmount": "1",
        }
        consideration = [
            {
                "itemType": 0,
                "token": "0x" + "00" * 20,
                "identifierOrCriteria": "0",
                "startAmount": str(price),
                "endAmount": str(price),
                "recipient": scene.address,
            },
        ]
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN, "OrderComponents": [{"name": "offerer", "type": "address"}]},
            "primaryType": "OrderComponents",
            "domain": {
                "name": "Seaport",
                "chainId": scene.chain.chain_id,
                "verifyingContract": "0x0000000000000068F116a894984e2DB1123eB395",
            },
            "message": {"offerer": scene.address, "offer": [item], "consideration": consideration},
        }

    body, found = scan(scene, order(0))
    assert "nft_order_underpriced" in found and body["action"] == "BLOCK"
    body, found = scan(scene, order(10**18))
    assert "nft_order_underpriced" not in found and "nft_listing" in found
    assert body["action"] == "NONE"


def test_a_message_without_primary_type_is_a_validation_error(scene) -> None:  # type: ignore[no-untyped-def]
    response = scene.wallet.authed(
        "post", "/api/v1/security/scan/message", {"chain_id": scene.chain.chain_id, "typed_data": {"message": {}}}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "change",
    [{"value": "²"}, {"value": "1_000"}, {"deadline": "-1"}, {"value": 1.5}, {"spender": "0x1234"}],
    ids=["superscript", "underscore", "negative", "float", "short address"],
)
def test_a_message_whose_values_break_the_rules_is_a_validation_error(scene, change) -> None:  # type: ignore[no-untyped-def]
    typed_data = erc20_permit(scene, spender=fresh_eoa(), value=1, deadline=2**32)
    typed_data["message"].update(change)
    response = scene.wallet.authed(
        "post", "/api/v1/security/scan/message", {"chain_id": scene.chain.chain_id, "typed_data": typed_data}
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and list(error["details"]["fields"]) == ["typed_data"]

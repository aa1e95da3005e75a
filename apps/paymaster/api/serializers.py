"""Transactions API input and output shapes. Serializers never call the chain and never write rows."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.chain.serializer_fields import AddressField, ChainIdField, WeiField
from apps.identity.serializer_fields import CredentialField
from apps.paymaster import services
from apps.paymaster.models import Transaction


class PrepareIn(serializers.Serializer[None]):
    chain_id = ChainIdField()
    calls = serializers.JSONField(required=False, help_text="[{to, value (wei string), data (0x hex)}]")
    transfer = serializers.JSONField(required=False, help_text='{token: "native" | ERC-20 address, amount, to}')
    sponsorship = serializers.ChoiceField(
        choices=["preferred", "required", "none"],
        default="preferred",
        help_text="required: refuse unless a policy pays; none: never ask for sponsorship",
    )
    device_id = serializers.UUIDField(required=False, help_text="The passkey that will sign (default: first device)")


class SignIn(serializers.Serializer[None]):
    credential = CredentialField(help_text="The PublicKeyCredential (assertion) JSON, base64url fields")


class OwnerChangeIn(serializers.Serializer[None]):
    chain_id = ChainIdField()
    action = serializers.ChoiceField(choices=["add", "remove"])


class TransactionOut(serializers.ModelSerializer[Transaction]):
    chain_id = ChainIdField()
    account = AddressField(source="account.address")
    policy = serializers.CharField(source="policy.name", allow_null=True, default=None)
    max_cost_wei = WeiField()
    actual_gas_cost_wei = WeiField(allow_null=True)
    actual_gas_used = WeiField(allow_null=True)
    nonce = WeiField(help_text="The EntryPoint nonce (key and sequence), as a decimal string")

    class Meta:
        model = Transaction
        fields = [
            "id",
            "chain_id",
            "account",
            "purpose",
            "status",
            "intent",
            "calls",
            "user_op",
            "user_op_hash",
            "nonce",
            "sponsored",
            "policy",
            "max_cost_wei",
            "verdict",
            "success",
            "revert_reason",
            "actual_gas_cost_wei",
            "actual_gas_used",
            "tx_hash",
            "block_number",
            "created_at",
            "expires_at",
            "signed_at",
            "submitted_at",
            "finished_at",
        ]


class PreparedOut(TransactionOut):
    publicKey = serializers.SerializerMethodField(
        help_text="Options for navigator.credentials.get: challenge = userOpHash"
    )
    sponsorship_refusals = serializers.SerializerMethodField()

    class Meta(TransactionOut.Meta):
        fields = [*TransactionOut.Meta.fields, "publicKey", "sponsorship_refusals"]

    def get_publicKey(self, obj: Transaction) -> dict[str, Any]:
        return services.transaction_signing_options(tx=obj)

    def get_sponsorship_refusals(self, obj: Transaction) -> list[dict[str, str]]:
        return getattr(obj, "sponsorship_refusals", [])


class RevokeOptionsOut(serializers.Serializer[dict[str, Any]]):
    ceremony_id = serializers.CharField(help_text="Send it back with the assertion; single use, short-lived.")
    public_key = serializers.DictField(
        help_text="Options for navigator.credentials.get. The challenge is the Merkle root of `user_op_hashes`: "
        "one assertion authorises the revoke and signs the removal on every chain."
    )
    chains = serializers.ListField(child=serializers.IntegerField(), help_text="Chains whose removal it signs.")
    user_op_hashes = serializers.ListField(child=serializers.CharField(), help_text="The removals, one per chain.")


class RevokeIn(serializers.Serializer[None]):
    ceremony_id = serializers.CharField(max_length=64)
    credential = CredentialField(help_text="The revoking device's assertion over the challenge of revoke/options")


class _RemovalOut(serializers.ModelSerializer[Transaction]):
    chain_id = serializers.IntegerField(source="chain.chain_id")

    class Meta:
        model = Transaction
        fields = ["id", "chain_id", "status", "user_op_hash", "tx_hash", "submit_attempts"]


class RevocationOut(serializers.Serializer[services.RevocationStatus]):
    device_id = serializers.UUIDField(source="device.id")
    status = serializers.ChoiceField(
        choices=["active", "flagged", "revoking", "revoked"],
        help_text="revoking: revoked here, still an owner on some chain (`chains_pending`); revoked: on none.",
    )
    chains_pending = serializers.ListField(
        child=serializers.IntegerField(), help_text="Chains whose account still lists the device as an owner."
    )
    needs_signature = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Pending chains whose signed removal can no longer land: revoke again to sign a new one.",
    )
    transactions = _RemovalOut(many=True, help_text="The newest removal operation per pending chain.")

"""Transactions API input and output shapes. Serializers never call the chain and never write rows."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.chain import values
from apps.chain.serializer_fields import AddressField, ChainIdField, HexBytesField, PositiveWeiField, WeiField
from apps.identity.serializer_fields import CredentialField
from apps.paymaster import services
from apps.paymaster.models import Transaction
from apps.paymaster.services.intents import MAX_CALLS, NATIVE
from lykos.api import ExactlyOneOf, JsonInput


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": [NATIVE]},
            {"type": "string", "pattern": values.ADDRESS_PATTERN},
        ],
        "description": f"\"{NATIVE}\" for the chain's own currency, else the ERC-20 token's address",
    }
)
class TokenField(serializers.Field[str, Any, str, Any]):
    """What a transfer sends: "native", or an ERC-20 token by its address (checksummed)."""

    def to_internal_value(self, data: Any) -> str:
        if data == NATIVE:
            return NATIVE
        return AddressField().to_internal_value(data)

    def to_representation(self, value: Any) -> str:
        return str(value)


class IntentCallIn(JsonInput):
    to = AddressField()
    value = WeiField(default=0)
    data = HexBytesField(default=b"")  # type: ignore[assignment]  # the API's field is named data; Serializer.data is DRF's output


class TransferIn(JsonInput):
    token = TokenField(default=NATIVE)
    amount = PositiveWeiField()
    to = AddressField()


@extend_schema_field(IntentCallIn(many=True, min_length=1, max_length=MAX_CALLS))  # type: ignore[call-arg]  # ListSerializer takes them; the stubs miss them
class IntentCallsField(serializers.JSONField):
    """`calls` as the schema states them; `services.intent_calls` parses them by the `apps.chain.values` rules and
    refuses with the rule's own code (`invalid_address`, ...), which clients already rely on."""


@extend_schema_field(TransferIn)
class TransferField(serializers.JSONField):
    """`transfer` as the schema states it; parsed by `services.intent_calls` like `calls`."""


class PrepareIn(ExactlyOneOf):
    exactly_one_of = ("calls", "transfer")

    chain_id = ChainIdField()
    calls = IntentCallsField(required=False)
    transfer = TransferField(required=False)
    sponsorship = serializers.ChoiceField(
        choices=["preferred", "required", "none"],
        default="preferred",
        help_text="required: refuse unless a policy pays; none: never ask for sponsorship",
    )
    device_id = serializers.UUIDField(required=False, help_text="The passkey that will sign (default: first device)")

    def intent(self) -> dict[str, Any]:
        """The intent as the client wrote it, for `services.intent_calls` to validate and normalise."""
        return {name: self.validated_data[name] for name in self.exactly_one_of if name in self.validated_data}


class TransactionFilterIn(JsonInput):
    """The history's query parameters."""

    status = serializers.ChoiceField(choices=Transaction.Status.choices, required=False)
    chain_id = ChainIdField(required=False)


class SignIn(JsonInput):
    credential = CredentialField(help_text="The PublicKeyCredential (assertion) JSON, base64url fields")


class OwnerChangeIn(JsonInput):
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


class RevokeIn(JsonInput):
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

"""Input and output shapes of the security API. Validation only: no chain reads, no writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.chain.serializer_fields import AddressField, ChainIdField, HexBytesField, QuantityField, WeiField
from apps.security.models import ScanFeedback, TransactionSimulation


class CallIn(serializers.Serializer[None]):
    target = AddressField()
    value = WeiField(default=0)
    data = HexBytesField(default=b"")  # type: ignore[assignment]  # the API's field is named data; Serializer.data is DRF's output


class UserOpIn(serializers.Serializer[None]):
    """The operation as it will be signed (optional): its callData is what gets simulated."""

    sender = AddressField()
    nonce = QuantityField(default=0)
    callData = HexBytesField(default=b"", max_bytes=None)  # a whole batch: bounded by the request body only
    factory = AddressField(required=False, allow_null=True, default=None)
    factoryData = HexBytesField(default=b"")


class ScanTransactionIn(serializers.Serializer[None]):
    chain_id = ChainIdField()
    to = AddressField()
    value = WeiField(default=0)
    data = HexBytesField(default=b"")  # type: ignore[assignment]  # the API's field is named data; Serializer.data is DRF's output


class ScanUserOperationIn(serializers.Serializer[None]):
    chain_id = ChainIdField()
    calls = CallIn(many=True, allow_empty=False, max_length=32)  # type: ignore[call-arg]  # ListSerializer takes it; the stubs miss it
    user_op = UserOpIn(required=False)


class TypedDataIn(serializers.Serializer[None]):
    """EIP-712 typed data as eth_signTypedData_v4 takes it. The struct members are checked by the scan itself
    (a malformed address or number in them is a 400 naming `typed_data`)."""

    types = serializers.DictField(required=False, default=dict)
    primaryType = serializers.CharField(max_length=256)
    domain = serializers.DictField(required=False, default=dict)
    message = serializers.DictField()


class ScanMessageIn(serializers.Serializer[None]):
    chain_id = ChainIdField()
    typed_data = TypedDataIn()


class FeedbackIn(serializers.Serializer[None]):
    simulation_id = serializers.UUIDField()
    decision = serializers.ChoiceField(choices=ScanFeedback.Decision.choices)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class WarningOut(serializers.Serializer[dict[str, Any]]):
    kind = serializers.CharField(help_text="Stable machine-readable kind, e.g. unlimited_approval")
    severity = serializers.ChoiceField(choices=["CRITICAL", "WARNING", "INFO"])
    message = serializers.CharField()
    evidence = serializers.DictField()


class SimulationSummaryOut(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=TransactionSimulation.Status.choices)
    block_number = serializers.IntegerField(allow_null=True)
    from_cache = serializers.BooleanField()
    gas_used = serializers.IntegerField(allow_null=True)
    revert_reason = serializers.CharField(allow_blank=True)
    balance_deltas = serializers.ListField(child=serializers.DictField())
    transfers = serializers.ListField(child=serializers.DictField())
    approvals = serializers.ListField(child=serializers.DictField())


class ScanOut(serializers.Serializer[dict[str, Any]]):
    action = serializers.ChoiceField(choices=["NONE", "WARN", "BLOCK"])
    score = serializers.IntegerField(min_value=0, max_value=100)
    warnings = WarningOut(many=True)
    simulation_id = serializers.UUIDField(allow_null=True)
    simulation = SimulationSummaryOut()

    @staticmethod
    def render(simulation: TransactionSimulation) -> dict[str, Any]:
        result = simulation.result or {}
        return {
            "action": simulation.action,
            "score": simulation.score,
            "warnings": simulation.warnings,
            "simulation_id": str(simulation.pk),
            "simulation": {
                "status": simulation.status,
                "block_number": simulation.block_number,
                "from_cache": simulation.from_cache,
                "gas_used": simulation.gas_used,
                "revert_reason": simulation.revert_reason,
                "balance_deltas": result.get("balance_deltas", []),
                "transfers": result.get("transfers", []),
                "approvals": result.get("approvals", []),
            },
        }


class FeedbackOut(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    simulation_id = serializers.UUIDField()
    decision = serializers.CharField()

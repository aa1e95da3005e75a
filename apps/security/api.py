"""Security API: scan a transaction, a UserOperation or a message before signing; tell us what you did after a
warning; read a stored scan. Thin views: validate, call one service, render."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from eth_utils import is_address, to_checksum_address
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.chain.userops import Call, UserOperation
from apps.security import selectors, services
from apps.security.models import ScanFeedback, TransactionSimulation
from lykos.api import error_responses
from lykos.errors import NotFound

_AUTH_ERRORS = {"s401": ["not_authenticated", "token_invalid", "token_expired", "session_revoked"]}
_SCAN_ERRORS = error_responses(
    s400=["validation_error", "malformed_request"],
    **_AUTH_ERRORS,
    s404=["not_found"],
    s429=["rate_limited"],
    s503=["simulation_unavailable", "chain_unavailable", "dependency_unavailable"],
)


class AddressField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not is_address(value):
            raise serializers.ValidationError("Not an EVM address.")
        return to_checksum_address(value)


class HexBytesField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default", "0x")
        kwargs.setdefault("help_text", "0x-hex bytes")
        super().__init__(**kwargs)

    def get_default(self) -> Any:
        # DRF hands defaults over as they are; ours are documented as strings and converted like input.
        return self.to_internal_value(super().get_default())

    def to_internal_value(self, data: Any) -> bytes:  # type: ignore[override]
        text = super().to_internal_value(data)
        if not text.startswith("0x") or len(text) % 2:
            raise serializers.ValidationError("Expected 0x-prefixed hex with an even number of digits.")
        try:
            return bytes.fromhex(text[2:])
        except ValueError as exc:
            raise serializers.ValidationError("Not hex.") from exc


class WeiField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default", "0")
        kwargs.setdefault("help_text", "wei, as a decimal string")
        super().__init__(**kwargs)

    def get_default(self) -> Any:
        return self.to_internal_value(super().get_default())

    def to_internal_value(self, data: Any) -> int:  # type: ignore[override]
        text = super().to_internal_value(str(data))
        if not text.isdigit() or len(text) > 78:
            raise serializers.ValidationError("A non-negative integer in wei, as a decimal string.")
        return int(text)


class CallIn(serializers.Serializer):
    target = AddressField()
    value = WeiField()
    data = HexBytesField()


class UserOpIn(serializers.Serializer):
    """The operation as it will be signed (optional): its callData is what gets simulated."""

    sender = AddressField()
    nonce = serializers.CharField(default="0x0")
    callData = HexBytesField()
    factory = AddressField(required=False, allow_null=True, default=None)
    factoryData = HexBytesField()


class ScanTransactionIn(serializers.Serializer):
    chain_id = serializers.IntegerField(min_value=1)
    to = AddressField()
    value = WeiField()
    data = HexBytesField()


class ScanUserOperationIn(serializers.Serializer):
    chain_id = serializers.IntegerField(min_value=1)
    calls = CallIn(many=True, allow_empty=False, max_length=32)
    user_op = UserOpIn(required=False)


class ScanMessageIn(serializers.Serializer):
    chain_id = serializers.IntegerField(min_value=1)
    typed_data = serializers.DictField(help_text="EIP-712 typed data as eth_signTypedData_v4 takes it")

    def validate_typed_data(self, value: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(value.get("message"), dict) or not isinstance(value.get("primaryType"), str):
            raise serializers.ValidationError("Needs primaryType and message.")
        return value


class FeedbackIn(serializers.Serializer):
    simulation_id = serializers.UUIDField()
    decision = serializers.ChoiceField(choices=ScanFeedback.Decision.choices)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class WarningOut(serializers.Serializer):
    kind = serializers.CharField(help_text="Stable machine-readable kind, e.g. unlimited_approval")
    severity = serializers.ChoiceField(choices=["CRITICAL", "WARNING", "INFO"])
    message = serializers.CharField()
    evidence = serializers.DictField()


class SimulationSummaryOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=TransactionSimulation.Status.choices)
    block_number = serializers.IntegerField(allow_null=True)
    from_cache = serializers.BooleanField()
    gas_used = serializers.IntegerField(allow_null=True)
    revert_reason = serializers.CharField(allow_blank=True)
    balance_deltas = serializers.ListField(child=serializers.DictField())
    transfers = serializers.ListField(child=serializers.DictField())
    approvals = serializers.ListField(child=serializers.DictField())


class ScanOut(serializers.Serializer):
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


class FeedbackOut(serializers.Serializer):
    id = serializers.IntegerField()
    simulation_id = serializers.UUIDField()
    decision = serializers.CharField()


def _own_chain(request: Request, chain_id: int) -> tuple[Any, Any]:
    found = selectors.chain_and_account(user=request.user, chain_id=chain_id)
    if found is None:
        raise NotFound("You have no account on this chain.")
    return found


def _device_and_session(request: Request) -> tuple[Any, Any]:
    claims = request.auth
    session = selectors.session_with_device(session_id=getattr(claims, "session_id", None))
    return (session.device if session else None), session


def _render(request: Request, verdict: services.Verdict) -> Response:
    simulation = selectors.simulation_get(user=request.user, simulation_id=verdict.simulation_id)
    return Response(ScanOut(ScanOut.render(simulation)).data)


class ScanTransactionView(APIView):
    throttle_scope = "security_scan"

    @extend_schema(
        tags=["security"],
        summary="Simulate a transaction from your account and get a risk verdict",
        request=ScanTransactionIn,
        responses={200: ScanOut, **_SCAN_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = ScanTransactionIn(data=request.data)
        data.is_valid(raise_exception=True)
        chain, account = _own_chain(request, data.validated_data["chain_id"])
        device, session = _device_and_session(request)
        verdict = services.scan_transaction(
            user=request.user,
            chain=chain,
            sender=account.address,
            to=data.validated_data["to"],
            value=data.validated_data["value"],
            data=data.validated_data["data"],
            device=device,
            session=session,
        )
        return _render(request, verdict)


class ScanUserOperationView(APIView):
    throttle_scope = "security_scan"

    @extend_schema(
        tags=["security"],
        summary="Simulate a UserOperation's calls from your account (deployed or not) and get a risk verdict",
        request=ScanUserOperationIn,
        responses={200: ScanOut, **_SCAN_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = ScanUserOperationIn(data=request.data)
        data.is_valid(raise_exception=True)
        chain, account = _own_chain(request, data.validated_data["chain_id"])
        calls = [Call(target=c["target"], value=c["value"], data=c["data"]) for c in data.validated_data["calls"]]
        user_op = None
        if op := data.validated_data.get("user_op"):
            if op["sender"] != to_checksum_address(account.address):
                raise NotFound("You have no such account.")
            user_op = UserOperation(
                sender=op["sender"],
                nonce=int(op["nonce"], 0),
                call_data=op["callData"],
                factory=op["factory"],
                factory_data=op["factoryData"],
            )
        device, session = _device_and_session(request)
        verdict = services.scan_user_operation(
            user=request.user,
            chain=chain,
            account=account,
            calls=calls,
            user_op=user_op,
            device=device,
            session=session,
        )
        return _render(request, verdict)


class ScanMessageView(APIView):
    throttle_scope = "security_scan"

    @extend_schema(
        tags=["security"],
        summary="Scan EIP-712 typed data (permit, Permit2, marketplace order) before you sign it",
        request=ScanMessageIn,
        responses={200: ScanOut, **_SCAN_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = ScanMessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        chain, account = _own_chain(request, data.validated_data["chain_id"])
        device, session = _device_and_session(request)
        verdict = services.scan_message(
            user=request.user,
            chain=chain,
            account=account.address,
            typed_data=data.validated_data["typed_data"],
            device=device,
            session=session,
        )
        return _render(request, verdict)


class FeedbackView(APIView):
    throttle_scope = "security_scan"

    @extend_schema(
        tags=["security"],
        summary="Tell us whether you proceeded or cancelled after a scan",
        request=FeedbackIn,
        responses={
            201: FeedbackOut,
            **error_responses(
                s400=["validation_error"], **_AUTH_ERRORS, s404=["not_found"], s409=["conflict"], s429=["rate_limited"]
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.scan_feedback_record(
            user=request.user,
            simulation_id=data.validated_data["simulation_id"],
            decision=data.validated_data["decision"],
            note=data.validated_data["note"],
        )
        body = {"id": feedback.pk, "simulation_id": feedback.simulation_id, "decision": feedback.decision}
        return Response(FeedbackOut(body).data, status=status.HTTP_201_CREATED)


class SimulationDetailView(APIView):
    @extend_schema(
        tags=["security"],
        summary="One of your stored scans with its verdict",
        responses={200: ScanOut, **error_responses(**_AUTH_ERRORS, s404=["not_found"])},
    )
    def get(self, request: Request, simulation_id: str) -> Response:
        simulation = selectors.simulation_get(user=request.user, simulation_id=simulation_id)
        if simulation is None:
            raise NotFound("No such scan.")
        return Response(ScanOut(ScanOut.render(simulation)).data)

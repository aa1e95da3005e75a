"""Security API: scan a transaction, a UserOperation or a message before signing; tell us what you did after a
warning; read a stored scan. Thin views: validate, call one service, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema
from eth_utils import to_checksum_address
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.chain import selectors as chain_selectors
from apps.chain.userops import Call, UserOperation
from apps.identity import selectors as identity_selectors
from apps.identity.requests import authenticated_user
from apps.security import selectors, services
from apps.security.api.serializers import (
    FeedbackIn,
    FeedbackOut,
    ScanMessageIn,
    ScanOut,
    ScanTransactionIn,
    ScanUserOperationIn,
)
from apps.security.errors import SimulationUnavailable
from lykos.api import error_responses
from lykos.errors import Conflict, NotFound

if TYPE_CHECKING:
    from apps.chain.models import Account
    from apps.identity.models import Passkey, Session

# A scan needs the simulator; a chain that cannot be read makes it unavailable too (services.scans).
_SCAN_ERRORS = error_responses(NotFound, SimulationUnavailable, validation=True)


def _own_account(request: Request, chain_id: int) -> Account:
    """The caller's account on an enabled chain (its `chain` loaded), or 404."""
    account = chain_selectors.account_get(user=authenticated_user(request), chain_id=chain_id)
    if account is None:
        raise NotFound("You have no account on this chain.")
    return account


def _device_and_session(request: Request) -> tuple[Passkey | None, Session | None]:
    claims = request.auth
    session = identity_selectors.session_with_device(session_id=getattr(claims, "session_id", None))
    return (session.device if session else None), session


def _render(request: Request, verdict: services.Verdict) -> Response:
    assert verdict.simulation_id is not None  # every scan service stores its scan before returning the verdict
    simulation = selectors.simulation_get(user=authenticated_user(request), simulation_id=verdict.simulation_id)
    assert simulation is not None
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
        account = _own_account(request, data.validated_data["chain_id"])
        device, session = _device_and_session(request)
        verdict = services.scan_transaction(
            user=authenticated_user(request),
            chain=account.chain,
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
        account = _own_account(request, data.validated_data["chain_id"])
        calls = [Call(target=c["target"], value=c["value"], data=c["data"]) for c in data.validated_data["calls"]]
        user_op = None
        if op := data.validated_data.get("user_op"):
            if op["sender"] != to_checksum_address(account.address):
                raise NotFound("You have no such account.")
            user_op = UserOperation(
                sender=op["sender"],
                nonce=op["nonce"],
                call_data=op["callData"],
                factory=op["factory"],
                factory_data=op["factoryData"],
            )
        device, session = _device_and_session(request)
        verdict = services.scan_user_operation(
            user=authenticated_user(request),
            chain=account.chain,
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
        account = _own_account(request, data.validated_data["chain_id"])
        device, session = _device_and_session(request)
        verdict = services.scan_message(
            user=authenticated_user(request),
            chain=account.chain,
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
            **error_responses(NotFound, Conflict, validation=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.scan_feedback_record(
            user=authenticated_user(request),
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
        responses={200: ScanOut, **error_responses(NotFound)},
    )
    def get(self, request: Request, simulation_id: str) -> Response:
        simulation = selectors.simulation_get(user=authenticated_user(request), simulation_id=simulation_id)
        if simulation is None:
            raise NotFound("No such scan.")
        return Response(ScanOut(ScanOut.render(simulation)).data)

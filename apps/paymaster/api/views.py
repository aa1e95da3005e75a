"""Transactions API: prepare (with Idempotency-Key), sign with a passkey, history."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.chain.errors import InvalidAddress, InvalidAmount, InvalidCalldata
from apps.identity.errors import PASSKEY_ASSERTION_ERRORS, ChallengeInvalid, LastDevice
from apps.identity.requests import access_claims, authenticated_user
from apps.identity.selectors import device_get
from apps.paymaster import selectors, services
from apps.paymaster.api.serializers import (
    OwnerChangeIn,
    PreparedOut,
    PrepareIn,
    RevocationOut,
    RevokeIn,
    RevokeOptionsOut,
    SignIn,
    TransactionFilterIn,
    TransactionOut,
)
from apps.paymaster.errors import (
    PREPARE_ERRORS,
    DeviceNotAccountOwner,
    DeviceNotAddable,
    NoOwnerDevice,
    PrepareExpired,
    RevocationInFlight,
    TransactionNotSignable,
)
from apps.security.errors import AccountFrozen
from lykos.api import error_responses
from lykos.errors import DependencyUnavailable, NotFound
from lykos.idempotency import IdempotencyInProgress, IdempotencyKeyReused, idempotency_key_parameter, idempotent
from lykos.pagination import PaginatedListMixin


class TransactionListView(PaginatedListMixin, APIView):
    @extend_schema(
        tags=["transactions"],
        summary="Prepare a transaction: build, scan, sponsor; answer with the userOpHash to sign",
        request=PrepareIn,
        parameters=[idempotency_key_parameter()],
        responses={
            201: PreparedOut,
            **error_responses(
                InvalidAddress,
                InvalidAmount,
                InvalidCalldata,
                *PREPARE_ERRORS,
                IdempotencyInProgress,
                IdempotencyKeyReused,
                validation=True,
            ),
        },
    )
    @idempotent()
    def post(self, request: Request) -> Response:
        data = PrepareIn(data=request.data)
        data.is_valid(raise_exception=True)
        intent = data.intent()
        tx = services.transaction_prepare(
            user=authenticated_user(request),
            chain_id=data.validated_data["chain_id"],
            intent=intent,
            sponsorship=data.validated_data["sponsorship"],
            device_id=data.validated_data.get("device_id"),
            session_id=access_claims(request).session_id,
        )
        return Response(PreparedOut(tx).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["transactions"],
        summary="Your transactions, newest first",
        parameters=[TransactionFilterIn],
        responses={200: TransactionOut(many=True), **error_responses(validation=True)},
    )
    def get(self, request: Request) -> Response:
        filters = TransactionFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.transaction_list(
            user=authenticated_user(request),
            status=filters.validated_data.get("status"),
            chain_id=filters.validated_data.get("chain_id"),
        )
        return self.paginated_response(request, qs, TransactionOut)


class TransactionDetailView(APIView):
    @extend_schema(
        tags=["transactions"],
        summary="One transaction with its status and receipt data",
        responses={200: TransactionOut, **error_responses(NotFound)},
    )
    def get(self, request: Request, transaction_id: uuid.UUID) -> Response:
        tx = selectors.transaction_get(user=authenticated_user(request), transaction_id=transaction_id)
        if tx is None:
            raise NotFound("No such transaction.")
        return Response(TransactionOut(tx).data)


class TransactionSignView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        tags=["transactions"],
        summary="Sign with a passkey (assertion over the userOpHash) and submit to the bundler",
        request=SignIn,
        parameters=[idempotency_key_parameter()],
        responses={
            200: TransactionOut,
            **error_responses(
                *PASSKEY_ASSERTION_ERRORS,
                AccountFrozen,
                NotFound,
                TransactionNotSignable,
                PrepareExpired,
                DeviceNotAccountOwner,
                IdempotencyInProgress,
                IdempotencyKeyReused,
                validation=True,
            ),
        },
    )
    @idempotent()
    def post(self, request: Request, transaction_id: uuid.UUID) -> Response:
        data = SignIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticated_user(request)
        tx = services.transaction_sign(
            user=user, transaction_id=transaction_id, credential=data.validated_data["credential"]
        )
        return Response(TransactionOut(tx).data)


class DeviceOwnerChangeView(APIView):
    @extend_schema(
        tags=["devices"],
        summary="Prepare the on-chain owner change for a device (add a new passkey, remove a revoked one)",
        request=OwnerChangeIn,
        responses={
            201: PreparedOut,
            **error_responses(*PREPARE_ERRORS, DeviceNotAddable, validation=True),
        },
    )
    def post(self, request: Request, device_id: uuid.UUID) -> Response:
        data = OwnerChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticated_user(request)
        device = device_get(user=user, device_id=device_id)
        if device is None:
            raise NotFound("No such device.")
        tx = services.device_owner_change_prepare(
            user=user,
            device=device,
            chain_id=data.validated_data["chain_id"],
            add=data.validated_data["action"] == "add",
        )
        return Response(PreparedOut(tx).data, status=status.HTTP_201_CREATED)


class DeviceRevokeOptionsView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        tags=["devices"],
        summary="Start revoking a passkey: prepare its on-chain removal everywhere, one ceremony signs them all",
        request=None,
        responses={
            201: RevokeOptionsOut,
            **error_responses(*PREPARE_ERRORS, LastDevice, NoOwnerDevice, RevocationInFlight),
        },
    )
    def post(self, request: Request, device_id: uuid.UUID) -> Response:
        options = services.device_revocation_begin(
            user=authenticated_user(request), session_id=access_claims(request).session_id, device_id=device_id
        )
        return Response(RevokeOptionsOut(options).data, status=status.HTTP_201_CREATED)


class DeviceRevokeView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        tags=["devices"],
        summary="Revoke a passkey with one assertion: it ends the device's sessions and signs its on-chain removal",
        request=RevokeIn,
        responses={
            200: RevocationOut,
            **error_responses(
                ChallengeInvalid,
                *PASSKEY_ASSERTION_ERRORS,
                NotFound,
                LastDevice,
                TransactionNotSignable,
                PrepareExpired,
                DeviceNotAccountOwner,
                DependencyUnavailable,
                validation=True,
            ),
        },
    )
    def post(self, request: Request, device_id: uuid.UUID) -> Response:
        data = RevokeIn(data=request.data)
        data.is_valid(raise_exception=True)
        revocation = services.device_revocation_complete(
            user=authenticated_user(request),
            session_id=access_claims(request).session_id,
            device_id=device_id,
            ceremony_id=data.validated_data["ceremony_id"],
            credential=data.validated_data["credential"],
        )
        return Response(RevocationOut(revocation).data)


class DeviceRevocationView(APIView):
    @extend_schema(
        tags=["devices"],
        summary="Where a passkey's revocation stands: which chains still list it as an owner",
        responses={200: RevocationOut, **error_responses(NotFound)},
    )
    def get(self, request: Request, device_id: uuid.UUID) -> Response:
        device = device_get(user=authenticated_user(request), device_id=device_id)
        if device is None:
            raise NotFound("No such device.")
        return Response(RevocationOut(services.device_revocation_status(device=device)).data)

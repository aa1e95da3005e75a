"""Identity API: thin views that validate, call one service, and render."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import selectors, services
from apps.identity.api import serializers as s
from apps.identity.errors import (
    PASSKEY_ASSERTION_ERRORS,
    PASSKEY_RESPONSE_ERRORS,
    ChallengeInvalid,
    DuplicateCredential,
    InvalidReferralCode,
    LastDevice,
    RefreshTokenInvalid,
    RefreshTokenReused,
    StepUpRequired,
    UsernameTaken,
)
from apps.identity.requests import STEP_UP_HEADER, access_claims, authenticated_user, require_step_up
from apps.identity.services import StepUpAction
from lykos.api import error_responses
from lykos.errors import DependencyUnavailable, NotFound
from lykos.ratelimit import client_ip, ratelimit_hit


def _limit_identifier(request: Request, username: str | None) -> None:
    """Per-username limits on top of per-IP ones: spreading guesses over many IPs does not help."""
    if username:
        ratelimit_hit(scope="auth", key=f"username:{username.strip().lower()}")


class RegisterOptionsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Start sign-up: passkey creation options",
        request=s.RegisterOptionsIn,
        responses={
            200: s.CeremonyOptionsOut,
            **error_responses(
                InvalidReferralCode, UsernameTaken, DependencyUnavailable, validation=True, throttled=True
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.RegisterOptionsIn(data=request.data)
        data.is_valid(raise_exception=True)
        _limit_identifier(request, data.validated_data.get("username"))
        return Response(
            services.registration_begin(
                username=data.validated_data.get("username") or None,
                display_name=data.validated_data.get("display_name", ""),
                referral_code=data.validated_data.get("referral_code") or None,
            )
        )


class RegisterVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Finish sign-up: verify the new passkey, create the user, open a session",
        request=s.RegisterVerifyIn,
        responses={
            201: s.TokensOut,
            **error_responses(
                ChallengeInvalid,
                *PASSKEY_RESPONSE_ERRORS,
                InvalidReferralCode,
                UsernameTaken,
                DuplicateCredential,
                DependencyUnavailable,
                validation=True,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.RegisterVerifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.registration_complete(
            ceremony_id=data.validated_data["ceremony_id"],
            credential=data.validated_data["credential"],
            device_name=data.validated_data["device_name"],
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(s.TokensOut.render(issued), status=status.HTTP_201_CREATED)


class LoginOptionsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Start login: passkey request options (username optional: usernameless with discoverable keys)",
        request=s.LoginOptionsIn,
        responses={
            200: s.CeremonyOptionsOut,
            **error_responses(DependencyUnavailable, validation=True, throttled=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.LoginOptionsIn(data=request.data)
        data.is_valid(raise_exception=True)
        _limit_identifier(request, data.validated_data.get("username"))
        return Response(services.login_begin(username=data.validated_data.get("username") or None))


class LoginVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Finish login: verify the assertion, open a session",
        request=s.LoginVerifyIn,
        responses={
            200: s.TokensOut,
            **error_responses(ChallengeInvalid, *PASSKEY_ASSERTION_ERRORS, DependencyUnavailable, validation=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.LoginVerifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.session_login(
            ceremony_id=data.validated_data["ceremony_id"],
            credential=data.validated_data["credential"],
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(s.TokensOut.render(issued))


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Rotate a refresh token (a used one revokes its session)",
        request=s.RefreshIn,
        responses={
            200: s.TokensOut,
            **error_responses(RefreshTokenInvalid, RefreshTokenReused, DependencyUnavailable, validation=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.RefreshIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            s.TokensOut.render(services.session_refresh(refresh_token=data.validated_data["refresh_token"]))
        )


class LogoutView(APIView):
    @extend_schema(
        tags=["auth"],
        summary="End the current session",
        request=None,
        responses={204: None, **error_responses(DependencyUnavailable)},
    )
    def post(self, request: Request) -> Response:
        user, claims = authenticated_user(request), access_claims(request)
        services.session_revoke(user=user, session_id=claims.session_id, reason="logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(tags=["me"], summary="The signed-in user", responses={200: s.UserOut})
    def get(self, request: Request) -> Response:
        return Response(s.UserOut(authenticated_user(request)).data)

    @extend_schema(
        tags=["me"],
        summary="Change display name or username",
        request=s.MeIn,
        responses={
            200: s.UserOut,
            **error_responses(UsernameTaken, validation=True),
        },
    )
    def patch(self, request: Request) -> Response:
        data = s.MeIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=authenticated_user(request), **data.validated_data)
        return Response(s.UserOut(user).data)

    @extend_schema(
        tags=["me"],
        summary="Erase your account (needs an `erase` step-up): tokens revoked, personal data destroyed, ledgers kept",
        request=None,
        parameters=[STEP_UP_HEADER],
        responses={200: s.EraseOut, **error_responses(StepUpRequired, DependencyUnavailable, throttled=True)},
    )
    def delete(self, request: Request) -> Response:
        user = authenticated_user(request)
        ratelimit_hit(scope="auth", key=f"user:{user.pk}")
        require_step_up(request, action=StepUpAction.ERASE)
        return Response({"erased": True, "counts": services.user_erase(user=user)})


class DeviceListView(APIView):
    @extend_schema(
        tags=["devices"],
        summary="Your passkeys",
        responses={200: s.DeviceOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.DeviceOut(selectors.device_list(user=authenticated_user(request)), many=True).data)


class DeviceAddOptionsView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        tags=["devices"],
        summary="Start adding a passkey (needs a `passkey_add` step-up; a fresh ceremony bound to this session)",
        request=None,
        parameters=[STEP_UP_HEADER],
        responses={200: s.CeremonyOptionsOut, **error_responses(StepUpRequired, DependencyUnavailable)},
    )
    def post(self, request: Request) -> Response:
        user, claims = authenticated_user(request), access_claims(request)
        confirmed_by = require_step_up(request, action=StepUpAction.PASSKEY_ADD)
        return Response(services.device_add_begin(user=user, session_id=claims.session_id, confirmed_by=confirmed_by))


class DeviceAddVerifyView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        tags=["devices"],
        summary="Finish adding a passkey (the ceremony a stepped-up `devices/options` began); alerts every channel",
        request=s.DeviceAddVerifyIn,
        responses={
            201: s.DeviceOut,
            **error_responses(
                ChallengeInvalid, *PASSKEY_RESPONSE_ERRORS, DuplicateCredential, DependencyUnavailable, validation=True
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.DeviceAddVerifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.device_add_complete(
            user=authenticated_user(request),
            session_id=access_claims(request).session_id,
            ceremony_id=data.validated_data["ceremony_id"],
            credential=data.validated_data["credential"],
            device_name=data.validated_data["device_name"],
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(s.DeviceOut(device).data, status=status.HTTP_201_CREATED)


class DeviceDetailView(APIView):
    @extend_schema(
        tags=["devices"],
        summary="Rename a passkey",
        request=s.DeviceRenameIn,
        responses={
            200: s.DeviceOut,
            **error_responses(NotFound, validation=True),
        },
    )
    def patch(self, request: Request, device_id: uuid.UUID) -> Response:
        data = s.DeviceRenameIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticated_user(request)
        device = services.device_rename(user=user, device_id=device_id, name=data.validated_data["name"])
        return Response(s.DeviceOut(device).data)

    @extend_schema(
        tags=["devices"],
        summary="Revoke a passkey and end its sessions (needs a `device_revoke` step-up, params {device_id}); "
        "`POST devices/{id}/revoke/options` + `revoke` does it and signs the on-chain removal in one ceremony",
        parameters=[STEP_UP_HEADER],
        responses={
            200: s.DeviceOut,
            **error_responses(NotFound, StepUpRequired, LastDevice, DependencyUnavailable),
        },
    )
    def delete(self, request: Request, device_id: uuid.UUID) -> Response:
        user = authenticated_user(request)
        if selectors.device_get(user=user, device_id=device_id) is None:
            raise NotFound("No such device.")  # someone else's device: 404 before any ceremony is offered
        require_step_up(request, action=StepUpAction.DEVICE_REVOKE, params={"device_id": str(device_id)})
        return Response(s.DeviceOut(services.device_revoke(user=user, device_id=device_id)).data)


class SessionListView(APIView):
    @extend_schema(
        tags=["sessions"],
        summary="Your active sessions",
        responses={200: s.SessionOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        sessions = selectors.session_list(user=authenticated_user(request))
        context = {"current_session_id": access_claims(request).session_id}
        return Response(s.SessionOut(sessions, many=True, context=context).data)


class SessionDetailView(APIView):
    @extend_schema(
        tags=["sessions"],
        summary="Revoke a session",
        responses={204: None, **error_responses(NotFound, DependencyUnavailable)},
    )
    def delete(self, request: Request, session_id: uuid.UUID) -> Response:
        services.session_revoke(user=authenticated_user(request), session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionRevokeAllView(APIView):
    @extend_schema(
        tags=["sessions"],
        summary="Log out everywhere (needs a `sessions_revoke` step-up with params `{keep_current}`)",
        request=s.RevokeAllIn,
        parameters=[STEP_UP_HEADER],
        responses={200: s.RevokeAllOut, **error_responses(StepUpRequired, DependencyUnavailable, validation=True)},
    )
    def post(self, request: Request) -> Response:
        data = s.RevokeAllIn(data=request.data)
        data.is_valid(raise_exception=True)
        require_step_up(
            request,
            action=StepUpAction.SESSIONS_REVOKE,
            params={"keep_current": data.validated_data["keep_current"]},
        )
        keep = access_claims(request).session_id if data.validated_data["keep_current"] else None
        user = authenticated_user(request)
        return Response({"revoked": services.session_revoke_all(user=user, except_session_id=keep)})


class RewardsView(APIView):
    @extend_schema(
        tags=["rewards"],
        summary="Points balance and referral code",
        responses={200: s.RewardsOut},
    )
    def get(self, request: Request) -> Response:
        user = authenticated_user(request)
        return Response({"balance": selectors.reward_balance(user=user), "referral_code": user.referral_code})


class RewardHistoryView(APIView):
    @extend_schema(
        tags=["rewards"],
        summary="Points history, newest first",
        responses={200: s.RewardEntryOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        from rest_framework.pagination import LimitOffsetPagination

        paginator = LimitOffsetPagination()
        user = authenticated_user(request)
        page = paginator.paginate_queryset(selectors.reward_history(user=user), request, view=self)
        return paginator.get_paginated_response(s.RewardEntryOut(page, many=True).data)


class StepUpOptionsView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        tags=["step-up"],
        summary="Start a step-up: passkey request options bound to one action, its parameters and this session",
        request=s.StepUpOptionsIn,
        responses={200: s.StepUpOptionsOut, **error_responses(DependencyUnavailable, validation=True)},
    )
    def post(self, request: Request) -> Response:
        data = s.StepUpOptionsIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            services.step_up_options(
                user=authenticated_user(request),
                session_id=access_claims(request).session_id,
                action=data.validated_data["action"],
                params=data.validated_data["params"],
            )
        )


class StepUpVerifyView(APIView):
    throttle_scope = "auth"

    @extend_schema(
        tags=["step-up"],
        summary="Finish a step-up: verify the assertion, get a single-use grant for the action",
        request=s.StepUpVerifyIn,
        responses={
            200: s.StepUpVerifyOut,
            **error_responses(ChallengeInvalid, *PASSKEY_ASSERTION_ERRORS, DependencyUnavailable, validation=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.StepUpVerifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.step_up_verify(
            user=authenticated_user(request),
            session_id=access_claims(request).session_id,
            ceremony_id=data.validated_data["ceremony_id"],
            credential=data.validated_data["credential"],
        )
        return Response(
            s.StepUpVerifyOut(
                {"step_up_token": grant.token, "action": grant.action, "expires_at": grant.expires_at}
            ).data
        )

"""Social profile API: thin views that validate, call one service or selector, and render."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity.browser_sessions import browser_session_login
from apps.identity.errors import StepUpRequired, UsernameTaken
from apps.identity.requests import STEP_UP_HEADER, access_claims, authenticated_user, require_step_up
from apps.identity.services import StepUpAction
from apps.social_profile import selectors
from apps.social_profile.api import serializers as s
from apps.social_profile.errors import (
    ChannelTaken,
    CsrfFailed,
    DocumentReviewPending,
    ExportGone,
    ExportNotReady,
    MediaNotReady,
    PlatformNotFound,
    UploadNotAllowed,
    UploadStateInvalid,
    VerificationExhausted,
    VerificationInvalid,
)
from apps.social_profile.services import media as media_services
from apps.social_profile.services import platforms as platform_services
from apps.social_profile.services import privacy as privacy_services
from apps.social_profile.services import profile as profile_services
from apps.social_profile.services import verification as verification_services
from lykos.api import error_responses
from lykos.errors import DependencyUnavailable, NotFound
from lykos.ratelimit import ratelimit_hit

SESSION_BACKEND = "apps.social_profile.backends.PasskeySessionBackend"


def _no_view(request: HttpRequest) -> HttpResponse:
    """Stands in for the view when asking CsrfViewMiddleware directly: it only reads a view's `csrf_exempt`."""
    return HttpResponse()


class ProfileView(APIView):
    @extend_schema(
        tags=["profile"],
        summary="Your social profile, every field with its visibility",
        responses={200: s.ProfileOut},
    )
    def get(self, request: Request) -> Response:
        return Response(s.ProfileOut(selectors.profile_get_or_default(user=authenticated_user(request))).data)

    @extend_schema(
        tags=["profile"],
        summary="Edit your profile (username, display name, bio, links, images, visibility per field)",
        request=s.ProfileIn,
        responses={
            200: s.ProfileOut,
            **error_responses(NotFound, UsernameTaken, MediaNotReady, validation=True),
        },
    )
    def patch(self, request: Request) -> Response:
        data = s.ProfileIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "links" in values:
            values["links"] = [dict(link) for link in values["links"]]
        profile = profile_services.profile_update(user=authenticated_user(request), **values)
        return Response(s.ProfileOut(profile).data)


class PublicProfileView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []

    @extend_schema(
        tags=["profile"],
        summary="A public profile by username (only the fields its owner made public)",
        responses={200: s.PublicProfileOut, **error_responses(NotFound)},
    )
    def get(self, request: Request, username: str) -> Response:
        profile = selectors.profile_public_get(username=username)
        if profile is None:
            raise NotFound("No such profile.")
        return Response(s.PublicProfileOut.render(profile))


class UploadView(APIView):
    @extend_schema(
        tags=["media"],
        summary="Start an upload: a presigned POST for one file of the declared type and size",
        request=s.UploadIn,
        responses={
            201: s.UploadOut,
            **error_responses(UploadNotAllowed, validation=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.UploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        asset, upload = media_services.media_upload_begin(user=authenticated_user(request), **data.validated_data)
        return Response({"media": s.MediaOut(asset).data, "upload": upload}, status=status.HTTP_201_CREATED)


class MediaDetailView(APIView):
    @extend_schema(
        tags=["media"],
        summary="An upload's status (and a short-lived URL once a clean image)",
        responses={200: s.MediaOut, **error_responses(NotFound)},
    )
    def get(self, request: Request, media_id: uuid.UUID) -> Response:
        asset = selectors.media_get(owner=authenticated_user(request), asset_id=media_id)
        if asset is None:
            raise NotFound("No such upload.")
        return Response(s.MediaOut(asset).data)


class MediaConfirmView(APIView):
    @extend_schema(
        tags=["media"],
        summary="Confirm an upload finished: it is checked in the background",
        request=None,
        responses={
            202: s.MediaOut,
            **error_responses(NotFound, UploadStateInvalid),
        },
    )
    def post(self, request: Request, media_id: uuid.UUID) -> Response:
        asset = media_services.media_upload_confirm(user=authenticated_user(request), asset_id=media_id)
        return Response(s.MediaOut(asset).data, status=status.HTTP_202_ACCEPTED)


class DocumentContentView(APIView):
    @extend_schema(
        tags=["media"],
        summary="Your verification document, decrypted (owner only)",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The document's bytes."),
            **error_responses(NotFound, DependencyUnavailable),
        },
    )
    def get(self, request: Request, media_id: uuid.UUID) -> HttpResponse:
        content, content_type = media_services.media_document_read(user=authenticated_user(request), asset_id=media_id)
        response = HttpResponse(content, content_type=content_type)
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = "attachment"
        return response


def _as_sent(request: Request, field: str) -> object:
    """A body field as the client sent it, before the serializer trimmed or normalised it."""
    data = request.data
    return data.get(field) if isinstance(data, Mapping) else None


class _OtpView(APIView):
    throttle_scope = "otp"


class EmailStartView(_OtpView):
    @extend_schema(
        tags=["verification"],
        summary="Send a code and a link to an email address (needs a `channel_change` step-up, params `{email}`)",
        request=s.EmailStartIn,
        parameters=[STEP_UP_HEADER],
        responses={
            201: s.ChallengeOut,
            **error_responses(StepUpRequired, ChannelTaken, DependencyUnavailable, validation=True, throttled=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.EmailStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        # Adding or changing a verified channel moves where alerts and recovery codes go: a step-up first, bound
        # to the value exactly as the client sent it (it cannot know how we normalise it).
        require_step_up(request, action=StepUpAction.CHANNEL_CHANGE, params={"email": _as_sent(request, "email")})
        challenge = verification_services.verification_start(
            user=authenticated_user(request), kind="email", value=data.validated_data["email"]
        )
        return Response(s.ChallengeOut(challenge).data, status=status.HTTP_201_CREATED)


class PhoneStartView(_OtpView):
    @extend_schema(
        tags=["verification"],
        summary="Send a one-time code by SMS (needs a `channel_change` step-up, params `{phone}`)",
        request=s.PhoneStartIn,
        parameters=[STEP_UP_HEADER],
        responses={
            201: s.ChallengeOut,
            **error_responses(StepUpRequired, ChannelTaken, DependencyUnavailable, validation=True, throttled=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.PhoneStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        # Adding or changing a verified channel moves where alerts and recovery codes go: a step-up first, bound
        # to the value exactly as the client sent it (it cannot know how we normalise it).
        require_step_up(request, action=StepUpAction.CHANNEL_CHANGE, params={"phone": _as_sent(request, "phone")})
        challenge = verification_services.verification_start(
            user=authenticated_user(request), kind="phone", value=data.validated_data["phone"]
        )
        return Response(s.ChallengeOut(challenge).data, status=status.HTTP_201_CREATED)


class ConfirmView(_OtpView):
    @extend_schema(
        tags=["verification"],
        summary="Confirm a code: the channel is verified and its badge granted",
        request=s.ConfirmIn,
        responses={
            200: s.BadgeOut,
            **error_responses(
                VerificationInvalid,
                ChannelTaken,
                VerificationExhausted,
                DependencyUnavailable,
                validation=True,
                throttled=True,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.ConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        ratelimit_hit(scope="otp", key=f"otp-challenge:{data.validated_data['challenge_id']}")
        badge = verification_services.verification_confirm(user=authenticated_user(request), **data.validated_data)
        return Response(s.BadgeOut(badge).data)


class LinkConfirmView(_OtpView):
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []

    @extend_schema(
        tags=["verification"],
        summary="Confirm an email by the token of its link",
        request=s.LinkConfirmIn,
        responses={
            200: s.BadgeOut,
            **error_responses(VerificationInvalid, ChannelTaken, DependencyUnavailable, validation=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.LinkConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(s.BadgeOut(verification_services.verification_confirm_link(**data.validated_data)).data)


class IdentityReviewView(APIView):
    @extend_schema(
        tags=["verification"],
        summary="Ask staff to review an uploaded identity document",
        request=s.IdentityReviewIn,
        responses={
            201: s.IdentityReviewOut,
            **error_responses(NotFound, DocumentReviewPending, validation=True),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.IdentityReviewIn(data=request.data)
        data.is_valid(raise_exception=True)
        review = verification_services.identity_review_request(user=authenticated_user(request), **data.validated_data)
        return Response(s.IdentityReviewOut(review).data, status=status.HTTP_201_CREATED)


class BadgeListView(APIView):
    @extend_schema(
        tags=["verification"],
        summary="Your current badges",
        responses={200: s.BadgeOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.BadgeOut(selectors.badge_current_list(user=authenticated_user(request)), many=True).data)


class PlatformListView(APIView):
    @extend_schema(
        tags=["platforms"],
        summary="Platforms you authorized: what each can read and when it last read",
        responses={200: s.PlatformOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.PlatformOut(selectors.platform_list(user=authenticated_user(request)), many=True).data)


class PlatformDetailView(APIView):
    @extend_schema(
        tags=["platforms"],
        summary="Revoke a platform's access (its tokens stop working at once)",
        responses={204: None, **error_responses(PlatformNotFound)},
    )
    def delete(self, request: Request, client_id: str) -> Response:
        platform_services.platform_revoke(user=authenticated_user(request), client_id=client_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DataAccessListView(APIView):
    @extend_schema(
        tags=["platforms"],
        summary="Your data-access log: every read of your data by a platform, newest first",
        responses={200: s.DataAccessOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        paginator = LimitOffsetPagination()
        user = authenticated_user(request)
        page = paginator.paginate_queryset(selectors.data_access_list(user=user), request, view=self)
        return paginator.get_paginated_response(s.DataAccessOut(page, many=True).data)


class ExportView(APIView):
    @extend_schema(
        tags=["privacy"],
        summary="Request an export of everything held about you (built in the background)",
        request=None,
        responses={202: s.ExportOut, **error_responses(throttled=True)},
    )
    def post(self, request: Request) -> Response:
        export = privacy_services.export_request(user=authenticated_user(request))
        return Response(s.ExportOut(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    @extend_schema(
        tags=["privacy"],
        summary="An export's status",
        responses={200: s.ExportOut, **error_responses(NotFound)},
    )
    def get(self, request: Request, export_id: uuid.UUID) -> Response:
        export = selectors.export_get(user=authenticated_user(request), export_id=export_id)
        if export is None:
            raise NotFound("No such export.")
        return Response(s.ExportOut(export).data)


class ExportDownloadView(APIView):
    @extend_schema(
        tags=["privacy"],
        summary="Download an export's JSON archive (once; needs an `export` step-up, params `{export_id}`)",
        parameters=[STEP_UP_HEADER],
        responses={
            (200, "application/json"): OpenApiResponse(description="The archive."),
            **error_responses(StepUpRequired, NotFound, ExportNotReady, ExportGone),
        },
    )
    def get(self, request: Request, export_id: uuid.UUID) -> HttpResponse:
        # The archive is everything we hold about the user: the data leaves here, so this is what is gated.
        require_step_up(request, action=StepUpAction.EXPORT, params={"export_id": str(export_id)})
        archive = privacy_services.export_download(user=authenticated_user(request), export_id=export_id)
        response = HttpResponse(archive, content_type="application/json")
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = f'attachment; filename="lykos-export-{export_id}.json"'
        return response


class BrowserSessionView(APIView):
    """After a passkey login, give the browser a session so the OAuth authorize page knows the user."""

    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Open a browser session from a fresh access token (for the OAuth authorize page); CSRF-protected",
        request=None,
        responses={
            200: s.BrowserSessionOut,
            **error_responses(CsrfFailed),
        },
    )
    def post(self, request: Request) -> Response:
        # DRF exempts API views from CSRF; this one turns a bearer token into a cookie, so a cross-site page
        # must not be able to log a victim's browser into the attacker's account (login CSRF).
        django_request = request._request
        if CsrfViewMiddleware(_no_view).process_view(django_request, _no_view, (), {}) is not None:
            raise CsrfFailed()
        user = authenticated_user(request)
        identity_session_id = access_claims(request).session_id
        browser_session_login(
            django_request, user=user, identity_session_id=identity_session_id, backend=SESSION_BACKEND
        )
        platform_services.browser_session_opened(user=user, identity_session_id=identity_session_id)
        return Response({"session": "opened"})

"""The admin a reviewer and an operator need: identity reviews with approve/reject, platforms with their rules
and usage, uploads and their outcome, the data-access log (read-only).

Deciding a review needs `social_profile.review_identity`; opening its document needs
`social_profile.view_identity_document` and a reason, both written to the audit row. Anything else answers 403,
an unknown review 404."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from oauth2_provider.admin import ApplicationAdmin
from oauth2_provider.models import AbstractApplication, get_application_model

from apps.identity.requests import authenticated_user
from apps.social_profile.models import (
    Badge,
    ConsentGrant,
    DataAccessLog,
    IdentityReview,
    MediaAsset,
    PlatformRules,
    PlatformUsage,
)
from apps.social_profile.services import media as media_services
from apps.social_profile.services import verification as verification_services
from lykos.admin_site import PermissionedModelAdmin
from lykos.errors import Forbidden, InvalidRequest, NotFound

_M = TypeVar("_M", bound=Model)


class _ReadOnlyAdmin(admin.ModelAdmin[_M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(IdentityReview)
class IdentityReviewAdmin(PermissionedModelAdmin[IdentityReview]):
    list_display = ["id", "user", "status", "created_at", "reviewer", "reviewed_at", "document_link"]
    list_filter = ["status"]
    search_fields = ["user__username", "=user__id"]
    readonly_fields = ["user", "document", "status", "reviewer", "reviewed_at", "created_at", "document_link"]
    fields = ["user", "document_link", "status", "note", "reviewer", "reviewed_at", "created_at"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.document_view)
        return [path("<int:review_id>/document/", view, name="social_profile_review_document"), *super().get_urls()]

    @admin.display(description="document")
    def document_link(self, obj: IdentityReview) -> str:
        url = reverse("admin:social_profile_review_document", args=[obj.pk])
        return format_html('<a href="{}">open (audited)</a>', url)

    def has_review_identity_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("social_profile.review_identity")

    def document_view(self, request: HttpRequest, review_id: int) -> HttpResponse:
        """GET asks why; POST with a reason returns the document (audited by the service with the reason)."""
        if not request.user.has_perm(media_services.DOCUMENT_PERMISSION):
            raise PermissionDenied("Opening identity documents needs the view_identity_document permission.")
        review = IdentityReview.objects.filter(pk=review_id).first()
        if review is None:
            raise Http404("No such review.")
        error = ""
        if request.method == "POST":
            try:
                content, content_type = media_services.media_document_read_by_staff(
                    staff=authenticated_user(request),
                    asset_id=review.document_id,
                    reason=request.POST.get("reason", ""),
                    review_id=review.pk,
                )
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except InvalidRequest as exc:
                error = exc.message
            else:
                response = HttpResponse(content, content_type=content_type)
                response["Cache-Control"] = "no-store"
                return response
        context = {**self.admin_site.each_context(request), "review": review, "error": error, "title": "Open document"}
        return TemplateResponse(request, "admin/social_profile/document_reason.html", context)

    @admin.action(description="Approve: grant the identity badge", permissions=["review_identity"])
    def approve(self, request: HttpRequest, queryset: QuerySet[IdentityReview]) -> None:
        reviewer = authenticated_user(request)
        for review in queryset:
            verification_services.identity_review_decide(reviewer=reviewer, review_id=review.pk, approve=True)
        self.message_user(request, "Approved.", messages.SUCCESS)

    @admin.action(description="Reject", permissions=["review_identity"])
    def reject(self, request: HttpRequest, queryset: QuerySet[IdentityReview]) -> None:
        reviewer = authenticated_user(request)
        for review in queryset:
            verification_services.identity_review_decide(reviewer=reviewer, review_id=review.pk, approve=False)
        self.message_user(request, "Rejected.", messages.WARNING)


@admin.register(MediaAsset)
class MediaAssetAdmin(_ReadOnlyAdmin[MediaAsset]):
    list_display = ["id", "owner", "kind", "status", "rejection_reason", "size", "created_at", "processed_at"]
    list_filter = ["kind", "status", "rejection_reason"]
    search_fields = ["=id", "=owner__id", "owner__username"]


@admin.register(Badge)
class BadgeAdmin(_ReadOnlyAdmin[Badge]):
    list_display = ["user", "kind", "method", "verified_at", "expires_at", "revoked_at"]
    list_filter = ["kind", "method"]
    search_fields = ["=user__id", "user__username"]


@admin.register(ConsentGrant)
class ConsentGrantAdmin(_ReadOnlyAdmin[ConsentGrant]):
    list_display = ["user", "application", "granted_scopes", "created_at", "last_read_at", "revoked_at"]
    list_filter = ["application"]
    search_fields = ["=user__id", "user__username"]


@admin.register(DataAccessLog)
class DataAccessLogAdmin(_ReadOnlyAdmin[DataAccessLog]):
    list_display = ["created_at", "client_id", "user", "endpoint", "scopes"]
    list_filter = ["client_id", "endpoint"]
    search_fields = ["=user__id", "client_id"]
    date_hierarchy = "created_at"


@admin.register(PlatformUsage)
class PlatformUsageAdmin(_ReadOnlyAdmin[PlatformUsage]):
    list_display = ["day", "application", "endpoint", "calls"]
    list_filter = ["application", "endpoint"]
    date_hierarchy = "day"


class PlatformRulesInline(admin.StackedInline[PlatformRules, AbstractApplication]):
    model = PlatformRules
    can_delete = False
    extra = 1


Application = get_application_model()
admin.site.unregister(Application)


@admin.register(Application)
class PlatformAdmin(ApplicationAdmin):
    """Platforms: redirect URIs (exact match), CORS origins and hashed secrets are the toolkit's fields."""

    inlines = [PlatformRulesInline]

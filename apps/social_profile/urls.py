"""API routes of the social profile (mounted under /api/v1/)."""

from django.urls import path

from apps.social_profile.api import views
from apps.social_profile.pages import local_media_file, local_media_upload

urlpatterns = [
    path("profile", views.ProfileView.as_view()),
    path("profiles/<str:username>", views.PublicProfileView.as_view()),
    path("media/uploads", views.UploadView.as_view()),
    path("media/<uuid:media_id>", views.MediaDetailView.as_view()),
    path("media/<uuid:media_id>/confirm", views.MediaConfirmView.as_view()),
    path("media/<uuid:media_id>/content", views.DocumentContentView.as_view()),
    path("verification/email", views.EmailStartView.as_view()),
    path("verification/phone", views.PhoneStartView.as_view()),
    path("verification/confirm", views.ConfirmView.as_view()),
    path("verification/email/link", views.LinkConfirmView.as_view()),
    path("verification/identity", views.IdentityReviewView.as_view()),
    path("badges", views.BadgeListView.as_view()),
    path("platforms", views.PlatformListView.as_view()),
    path("platforms/<str:client_id>", views.PlatformDetailView.as_view()),
    path("me/data-access", views.DataAccessListView.as_view()),
    path("me/export", views.ExportView.as_view()),
    path("me/export/<uuid:export_id>", views.ExportDetailView.as_view()),
    path("me/export/<uuid:export_id>/download", views.ExportDownloadView.as_view()),
    path("oauth/session", views.BrowserSessionView.as_view()),
    # The local storage backend's stand-ins for presigned S3 URLs (`make run` only; S3 never routes here).
    path("media/media-upload", local_media_upload, name="social-profile-local-upload"),
    path("media/media-file/<str:token>", local_media_file, name="social-profile-local-file"),
]

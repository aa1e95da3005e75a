"""Every audit event type the social profile records, declared once (values are stored in audit rows: never rename)."""

from __future__ import annotations

from lykos.audit.events import AuditEventType


class SocialProfileAuditEvent(AuditEventType):
    PROFILE_SOCIAL_UPDATED = "profile.social_updated", "A user changed their public profile"
    MEDIA_REJECTED = "media.rejected", "An uploaded file was rejected"
    MEDIA_DOCUMENT_VIEWED = "media.document_viewed", "Staff viewed an identity document"
    BADGE_GRANTED = "badge.granted", "A verification badge was granted"
    IDENTITY_REVIEW_REQUESTED = "identity_review.requested", "A user asked for an identity review"
    IDENTITY_REVIEW_APPROVED = "identity_review.approved", "Staff approved an identity review"
    IDENTITY_REVIEW_REJECTED = "identity_review.rejected", "Staff rejected an identity review"
    OAUTH_CONSENT_GRANTED = "oauth.consent_granted", "A user granted a platform access to their data"
    OAUTH_PLATFORM_REVOKED = "oauth.platform_revoked", "A user revoked a platform's access"
    OAUTH_DATA_READ = "oauth.data_read", "A platform read a user's data"
    OAUTH_BROWSER_SESSION_OPENED = "oauth.browser_session_opened", "A wallet opened a browser session for sign-in"
    PRIVACY_EXPORT_REQUESTED = "privacy.export_requested", "A user requested a data export"
    PRIVACY_EXPORT_DOWNLOADED = "privacy.export_downloaded", "A user downloaded their data export"
    PRIVACY_SOCIAL_DATA_ERASED = "privacy.social_data_erased", "A user's social data was erased"
    ALERT_NEW_DEVICE_SENT = "alert.new_device_sent", "The owner's verified channels were told a passkey was added"

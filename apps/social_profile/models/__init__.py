"""Social profile models, one module per concern, re-exported here for Django and for imports."""

from apps.social_profile.models.media import MediaAsset
from apps.social_profile.models.oauth import (
    AuthorizationAuthentication,
    ConsentGrant,
    DataAccessLog,
    PlatformRules,
    PlatformUsage,
)
from apps.social_profile.models.privacy import DataExport
from apps.social_profile.models.profile import Profile, Visibility
from apps.social_profile.models.verification import Badge, ContactChannel, IdentityReview, VerificationCode

__all__ = [
    "AuthorizationAuthentication",
    "Badge",
    "ConsentGrant",
    "ContactChannel",
    "DataAccessLog",
    "DataExport",
    "IdentityReview",
    "MediaAsset",
    "PlatformRules",
    "PlatformUsage",
    "Profile",
    "VerificationCode",
    "Visibility",
]

"""What the social profile and the OAuth provider hold about a person (lykos.privacy; erasure:
`services.privacy.social_data_erase`, connected to identity's `user_erasing`). django-oauth-toolkit's models
are declared here because this app is the provider."""

from lykos.privacy import Declaration, Erasure, NotPersonal, PersonalData

PRIVACY: list[Declaration] = [
    PersonalData(
        "social_profile.Profile",
        owner="user",
        erasure=Erasure.DELETE,
        export=("bio", "links", "avatar", "header", "visibility", "updated_at"),
    ),
    PersonalData(
        "social_profile.MediaAsset",
        owner="owner",
        erasure=Erasure.DELETE,
        export=("id", "kind", "status", "stored_content_type", "size", "sha256", "created_at", "processed_at"),
        reason="Objects in storage are deleted after commit; documents are sealed under the owner's key.",
    ),
    PersonalData(
        "social_profile.ContactChannel",
        owner="user",
        erasure=Erasure.DELETE,
        export=("kind", "value", "verified_at", "created_at"),
        reason="The value is sealed under the owner's key.",
    ),
    PersonalData(
        "social_profile.VerificationCode", owner="channel__user", erasure=Erasure.DELETE, export=(), reason="Hashes."
    ),
    PersonalData(
        "social_profile.Badge",
        owner="user",
        erasure=Erasure.DELETE,
        export=("kind", "method", "verified_at", "expires_at", "revoked_at"),
    ),
    PersonalData(
        "social_profile.IdentityReview",
        owner="user",
        erasure=Erasure.DELETE,
        export=("status", "reviewed_at", "created_at"),
        reason="The reviewer is another person and is not exported.",
    ),
    PersonalData(
        "social_profile.ConsentGrant",
        owner="user",
        erasure=Erasure.DELETE,
        export=("application", "requested_scopes", "granted_scopes", "created_at", "revoked_at", "last_read_at"),
    ),
    PersonalData(
        "social_profile.DataAccessLog",
        owner="user",
        erasure=Erasure.DELETE,
        export=("client_id", "endpoint", "scopes", "fields", "created_at"),
    ),
    PersonalData(
        "social_profile.DataExport",
        owner="user",
        erasure=Erasure.DELETE,
        export=("id", "status", "created_at", "ready_at", "downloaded_at"),
        reason="The archive itself is sealed under the owner's key and cleared once downloaded.",
    ),
    PersonalData(
        "social_profile.AuthorizationAuthentication",
        owner="user",
        erasure=Erasure.DELETE,
        export=("application", "amr", "auth_time", "created_at"),
        reason="How the user authenticated for a platform's authorization (id_token amr/auth_time).",
    ),
    NotPersonal("social_profile.PlatformRules", "A platform's scopes and rate limit, set by staff."),
    NotPersonal("social_profile.PlatformUsage", "Calls per platform and day (no user)."),
    PersonalData(
        "oauth2_provider.Application",
        owner="user",
        erasure=Erasure.KEEP,
        export=(),
        reason="Platforms are registered by staff; the optional owner is a staff account.",
    ),
    PersonalData(
        "oauth2_provider.Grant",
        owner="user",
        erasure=Erasure.DELETE,
        export=("application", "scope", "created"),
    ),
    PersonalData(
        "oauth2_provider.AccessToken",
        owner="user",
        erasure=Erasure.DELETE,
        export=("application", "scope", "expires", "created"),
    ),
    PersonalData(
        "oauth2_provider.RefreshToken",
        owner="user",
        erasure=Erasure.DELETE,
        export=("application", "created", "revoked"),
    ),
    PersonalData(
        "oauth2_provider.IDToken",
        owner="user",
        erasure=Erasure.DELETE,
        export=("application", "scope", "expires", "created"),
    ),
    PersonalData(
        "oauth2_provider.DeviceGrant",
        owner="user",
        erasure=Erasure.DELETE,
        export=("client_id", "scope", "status", "expires"),
    ),
]

"""Settings of apps/social_profile: the profile, media, verification badges and the OAuth 2.0 / OpenID Connect
provider (django-oauth-toolkit) behind "Sign up with Social Wallet".

Star-imported by `lykos.settings.base` at its social profile section, so every environment has them and each
is still defined once; the app and its backend are in base's INSTALLED_APPS and AUTHENTICATION_BACKENDS, its
rate limit in RATE_LIMITS. Every variable is in the README's table.
"""

from .environment import LOCAL_ORIGIN, env

# The toolkit's models are swappable; migrations that point at them need the names spelled out.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # Empty on purpose: the RS256 keys live in the secrets provider and are loaded (and rotated) at runtime by
    # apps.social_profile.oauth.keys; an environment variable would put a private key in the process env.
    "OIDC_RSA_PRIVATE_KEY": "",
    "OIDC_ISS_ENDPOINT": env.str("OIDC_ISSUER", default=""),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_VALIDATOR_CLASS": "apps.social_profile.oauth.validator.LykosOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "apps.social_profile.oauth.scopes.PlatformScopes",
    "SCOPES": {
        "openid": "Know who you are (an identifier unique to this platform's view of you)",
        "profile": "Your username, display name, bio, links and pictures (fields you share on consent)",
        "email": "Your verified email address",
        "phone": "Your verified phone number",
        "wallet": "Your wallet account addresses on each chain",
        "badges": "Your verification badges",
    },
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_TTL_SECONDS", default=900),
    "ID_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_TTL_SECONDS", default=900),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_REFRESH_TOKEN_TTL_SECONDS", default=30 * 86400),
    # Remembered consent is ours (ConsentGrant), so the toolkit always asks and our view decides to skip.
    "REQUEST_APPROVAL_PROMPT": "force",
    "ALLOWED_REDIRECT_URI_SCHEMES": env.list("OAUTH_REDIRECT_URI_SCHEMES", default=["https"]),
    "ALLOW_URI_WILDCARDS": False,
    # RFC 9700 (OAuth 2.0 Security BCP): S256 only, no implicit/password grants, tokens hashed at rest.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}

# Media: "local" (files under MEDIA_ROOT, uploads through our own signed endpoint) or "s3".
MEDIA_STORAGE_BACKEND = env.str("MEDIA_STORAGE_BACKEND", default="local")
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
MEDIA_S3_ENDPOINT_URL = env.str("MEDIA_S3_ENDPOINT_URL", default="")  # empty: AWS itself
MEDIA_S3_REGION = env.str("MEDIA_S3_REGION", default="us-east-1")
MEDIA_UPLOAD_URL_TTL_SECONDS = env.int("MEDIA_UPLOAD_URL_TTL_SECONDS", default=300)
MEDIA_DOWNLOAD_URL_TTL_SECONDS = env.int("MEDIA_DOWNLOAD_URL_TTL_SECONDS", default=60)
MEDIA_MAX_IMAGE_BYTES = env.int("MEDIA_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
MEDIA_MAX_DOCUMENT_BYTES = env.int("MEDIA_MAX_DOCUMENT_BYTES", default=10 * 1024 * 1024)
# clamd's TCP address ("127.0.0.1:3310"); empty: uploads are not virus-scanned.
CLAMAV_ADDRESS = env.str("CLAMAV_ADDRESS", default="")
CLAMAV_TIMEOUT_SECONDS = env.float("CLAMAV_TIMEOUT_SECONDS", default=10.0)
# Queue for media processing and exports (empty: Celery's default queue).
SOCIAL_PROFILE_TASK_QUEUE = env.str("SOCIAL_PROFILE_TASK_QUEUE", default="")

# Verification: SMS through "console" (dev), "http" (a provider's JSON API) or "locmem" (tests).
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT_SECONDS = env.float("SMS_HTTP_TIMEOUT_SECONDS", default=5.0)
VERIFICATION_CODE_TTL_SECONDS = env.int("VERIFICATION_CODE_TTL_SECONDS", default=600)
VERIFICATION_MAX_ATTEMPTS = env.int("VERIFICATION_MAX_ATTEMPTS", default=5)
VERIFICATION_BADGE_DAYS = env.int("VERIFICATION_BADGE_DAYS", default=365)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=LOCAL_ORIGIN)

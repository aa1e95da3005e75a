from __future__ import annotations

from django.db import models
from django.utils import timezone


class PlatformRules(models.Model):
    """What a platform (an OAuth application) may do beyond what the toolkit's Application holds.

    Redirect URIs (exact match) and CORS origins live on the Application itself (`redirect_uris`,
    `allowed_origins`); this row adds the scopes it may ask for and its rate limit.
    """

    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="lykos_rules", primary_key=True
    )
    allowed_scopes = models.CharField(max_length=200, default="openid profile")
    rate_limit = models.CharField(max_length=16, blank=True, help_text='e.g. "600/m"; empty: the default')

    class Meta:
        verbose_name_plural = "platform rules"

    def __str__(self) -> str:
        return f"rules of {self.application_id}"

    @property
    def scopes(self) -> set[str]:
        return set(self.allowed_scopes.split())


class ConsentGrant(models.Model):
    """A user's remembered consent to one platform: what it asked for and what the user granted."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="consent_grants")
    application = models.ForeignKey("oauth2_provider.Application", on_delete=models.CASCADE, related_name="+")
    requested_scopes = models.CharField(max_length=200)
    granted_scopes = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_read_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "application"], name="social_profile_one_grant_per_platform"),
        ]

    def __str__(self) -> str:
        return f"grant {self.user_id} -> {self.application_id}"


class DataAccessLog(models.Model):
    """One read of a user's data by a platform, written in the transaction that read it."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="data_access_logs")
    application = models.ForeignKey(
        "oauth2_provider.Application", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_id = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=32)
    scopes = models.CharField(max_length=200)
    fields = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.client_id} read {self.endpoint}"


class PlatformUsage(models.Model):
    """Calls per platform, endpoint and day (also exported as a Prometheus counter)."""

    id = models.BigAutoField(primary_key=True)
    application = models.ForeignKey("oauth2_provider.Application", on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=32)
    day = models.DateField()
    calls = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "endpoint"]
        constraints = [
            models.UniqueConstraint(fields=["application", "endpoint", "day"], name="social_profile_usage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.endpoint} {self.day}: {self.calls}"


class AuthorizationAuthentication(models.Model):
    """How and when the user authenticated for one authorization: the id_token's `amr` and `auth_time`.

    Recorded when the code is issued (from the identity session behind the browser session), found again at the
    code exchange by the code's checksum, and linked then to the refresh-token family, so that an id_token issued
    on refresh still says when the user authenticated, not when the platform refreshed (OIDC Core §12.2).
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey("oauth2_provider.Application", on_delete=models.CASCADE, related_name="+")
    code_checksum = models.CharField(max_length=64, unique=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    amr = models.JSONField(default=list)
    auth_time = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"authentication of {self.user_id} for {self.application_id}"

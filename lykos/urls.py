"""The root URLconf: the one module of `lykos` that names the apps (it mounts their URLs), which is why the
import contracts in pyproject.toml exempt it and nothing else in `lykos`."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.identity import pages as identity_pages
from apps.paymaster import pages as paymaster_pages
from apps.paymaster.api.rpc import paymaster_rpc
from apps.social_profile.oauth import views as oauth_views
from lykos import health, metrics

handler400 = "lykos.errors.handler400"
handler403 = "lykos.errors.handler403"
handler404 = "lykos.errors.handler404"
handler500 = "lykos.errors.handler500"

# Docs and schema do not need Redis: they stay up when rate limiting cannot be checked.
api_v1 = [
    path("", include("apps.identity.urls")),
    path("", include("apps.chain.urls")),
    path("", include("apps.security.urls")),  # G0 security: scans, feedback
    path("", include("apps.paymaster.urls")),
    path("", include("apps.social_profile.urls")),  # social profile / OAuth
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", throttle_classes=[]), name="swagger-ui"),
    path("api/v1/", include(api_v1)),
    path("signup", identity_pages.signup_page, name="signup-page"),
    path("login", identity_pages.login_page, name="login-page"),
    path("send", paymaster_pages.send_page, name="send-page"),
    path("devices", identity_pages.devices_page, name="devices-page"),
    path("rpc/paymaster", paymaster_rpc, name="paymaster-rpc"),
    path("admin/", admin.site.urls),
    # social profile / OAuth: the OIDC provider under /o/, discovery also at the origin's root
    path("o/", include("apps.social_profile.oauth.urls", namespace="oauth2_provider")),
    path(".well-known/openid-configuration", oauth_views.DiscoveryView.as_view(), name="oidc-discovery-root"),
    # RFC 8414 §3: the metadata of the issuer <origin>/o, where the RFC places it for an issuer with a path.
    path(
        ".well-known/oauth-authorization-server/o",
        oauth_views.ServerMetadataView.as_view(),
        name="oauth-server-metadata-root",
    ),
    path("metrics", metrics.metrics, name="prometheus-django-metrics"),
]

"""The OAuth/OIDC endpoints under /o/. The namespace and names are the toolkit's, so its reverse() calls work;
only the endpoints we offer are mounted (no device flow, no self-service client registration)."""

from django.urls import path, re_path

from apps.social_profile.oauth import views

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", views.ConsentView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectTokenView.as_view(), name="introspect"),
    path("userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path(".well-known/jwks.json", views.JwksView.as_view(), name="jwks-info"),
    re_path(
        r"^\.well-known/openid-configuration/?$", views.DiscoveryView.as_view(), name="oidc-connect-discovery-info"
    ),
    # RFC 8414 metadata for the issuer <origin>/o. The toolkit builds the RFC 9207 `iss` of authorization
    # responses from this route's location, so it must exist, under /o/, for `iss` to equal the issuer.
    path(".well-known/oauth-authorization-server", views.ServerMetadataView.as_view(), name="oauth-server-metadata"),
]

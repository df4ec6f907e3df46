"""The provider's addresses, mounted at the site's root (the issuer is ``PUBLIC_URL``).

The namespace is django-oauth-toolkit's own (``oauth2_provider``): its discovery documents
find the other endpoints by these names. Every endpoint is exempt from the required-actions
middleware: the authorization endpoint runs that check itself (it must answer ``prompt=none``
requests with an error, not a page), the others serve programs, not people, and signing out
must stay possible.
"""

from django.urls import path, re_path
from oauth2_provider import views as dot

from preau.activation.middleware import required_actions_exempt
from preau.sso.oidc import views

app_name = "oauth2_provider"

urlpatterns = [
    re_path(
        r"^\.well-known/openid-configuration/?$",
        required_actions_exempt(dot.ConnectDiscoveryInfoView.as_view()),
        name="oidc-connect-discovery-info",
    ),
    path(
        ".well-known/oauth-authorization-server",
        required_actions_exempt(dot.OAuthServerMetadataView.as_view()),
        name="oauth-server-metadata",
    ),
    path(
        "oidc/authorize", required_actions_exempt(views.AuthorizeView.as_view()), name="authorize"
    ),
    path("oidc/token", required_actions_exempt(dot.TokenView.as_view()), name="token"),
    path(
        "oidc/userinfo",
        required_actions_exempt(views.UserInfoEndpointView.as_view()),
        name="user-info",
    ),
    path("oidc/jwks", required_actions_exempt(dot.JwksInfoView.as_view()), name="jwks-info"),
    path(
        "oidc/revoke", required_actions_exempt(dot.RevokeTokenView.as_view()), name="revoke-token"
    ),
    path(
        "oidc/logout",
        required_actions_exempt(views.LogoutView.as_view()),
        name="rp-initiated-logout",
    ),
]

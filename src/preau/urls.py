from django.contrib import admin
from django.urls import include, path, re_path

from preau import health
from preau.mobile.api import api_not_found as mobile_api_not_found
from preau.mobile.api import api_urls as mobile_api_urls
from preau.portal import views as portal_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", portal_views.home, name="home"),
    path("", include("preau.portal.urls")),
    path("cas/", include("preau.sso.cas.urls")),
    path("", include("preau.signin.urls")),
    path("", include("preau.activation.urls")),
    path("", include("preau.recovery.urls")),
    path("mon-compte/", include("preau.account.urls")),
    # FranceConnect (/franceconnect/…) and "Mon compte"'s identities (preau.federation).
    path("", include("preau.federation.urls")),
    # The mobile app: "Mon compte"'s page, its web links, and its API (preau.mobile).
    path("", include("preau.mobile.urls")),
    path("api/mobile/v1/", mobile_api_urls()),
    re_path(r"^api/mobile/v1/", mobile_api_not_found),
    path("console/", include("preau.console.urls")),
    path("operateur/", admin.site.urls),
    # The demo's page of the messages sent: a 404 unless PREAU["DEMO"] (preau.demo.views).
    path("demo/", include("preau.demo.urls")),
    # OpenID Connect: /.well-known/openid-configuration and /oidc/… (preau.sso.oidc).
    path("", include("preau.sso.oidc.urls")),
]

# 400 and 500 from the settings alone (no request context, no database): see preau.errors.
# 403 and 404 are Django's own handlers, with the templates 403.html and 404.html.
handler400 = "preau.errors.bad_request"
handler500 = "preau.errors.server_error"

from django.urls import path

from preau.sso.cas import views

app_name = "cas"

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("validate", views.validate_view, name="validate"),
    path("serviceValidate", views.service_validate_view, name="service_validate"),
    path("proxyValidate", views.proxy_validate_view, name="proxy_validate"),
    path("proxy", views.proxy_view, name="proxy"),
    path("p3/serviceValidate", views.p3_service_validate_view, name="p3_service_validate"),
    path("p3/proxyValidate", views.p3_proxy_validate_view, name="p3_proxy_validate"),
    path("samlValidate", views.saml_validate_view, name="saml_validate"),
]

from django.urls import path

from preau.recovery import views

app_name = "recovery"

urlpatterns = [
    path("mot-de-passe-oublie/", views.password_request_view, name="password_request"),
    path("mot-de-passe-oublie/envoye", views.password_sent_view, name="password_sent"),
    path("mot-de-passe-oublie/code", views.code_view, name="code"),
    path("mot-de-passe-oublie/lien/<str:token>", views.link_view, name="link"),
    path("mot-de-passe-oublie/nouveau", views.new_password_view, name="new_password"),
    path("mot-de-passe-oublie/termine", views.done_view, name="done"),
    path("identifiant-oublie/", views.identifier_request_view, name="identifier_request"),
    path("identifiant-oublie/envoye", views.identifier_sent_view, name="identifier_sent"),
    path("aide/", views.proof_view, name="proof"),
    path("aide/votre-compte", views.account_status_view, name="account_status"),
    path("aide/envoyee", views.help_sent_view, name="help_sent"),
    path("mobile/confirmer", views.mobile_view, name="mobile"),
]

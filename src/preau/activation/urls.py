from django.urls import path

from preau.activation import views, views_children
from preau.activation.signup_views import (
    signup_charter_view,
    signup_children_view,
    signup_code_view,
    signup_done_view,
    signup_password_view,
    signup_view,
)

app_name = "activation"

urlpatterns = [
    path("premiere-connexion/", views.continue_view, name="continue"),
    path("premiere-connexion/charte", views.charter_view, name="charter"),
    path("premiere-connexion/informations", views.group_view, name="group"),
    path("premiere-connexion/mot-de-passe", views.password_view, name="password"),
    path("premiere-connexion/date-de-naissance", views.birth_date_view, name="birth_date"),
    path("premiere-connexion/coordonnees", views.contact_view, name="contact"),
    path("premiere-connexion/courriel", views.email_view, name="email"),
    path("premiere-connexion/enfants", views_children.children_view, name="children"),
    path("premiere-connexion/termine", views.done_view, name="done"),
    path("courriel/confirmer/<str:token>", views.email_confirm_view, name="email_confirm"),
    # A parent's sign-up by SMS ("Je n'ai pas de compte": preau.activation.signup).
    path("inscription/", signup_view, name="signup"),
    path("inscription/code", signup_code_view, name="signup_code"),
    path("inscription/enfants", signup_children_view, name="signup_children"),
    path("inscription/charte", signup_charter_view, name="signup_charter"),
    path("inscription/mot-de-passe", signup_password_view, name="signup_password"),
    path("inscription/termine", signup_done_view, name="signup_done"),
]

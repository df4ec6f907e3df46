from django.urls import path

from preau.activation import views

app_name = "activation"

urlpatterns = [
    path("premiere-connexion/", views.continue_view, name="continue"),
    path("premiere-connexion/charte", views.charter_view, name="charter"),
    path("premiere-connexion/informations", views.group_view, name="group"),
    path("premiere-connexion/mot-de-passe", views.password_view, name="password"),
    path("premiere-connexion/date-de-naissance", views.birth_date_view, name="birth_date"),
    path("premiere-connexion/coordonnees", views.contact_view, name="contact"),
    path("premiere-connexion/courriel", views.email_view, name="email"),
    path("premiere-connexion/termine", views.done_view, name="done"),
    path("courriel/confirmer/<str:token>", views.email_confirm_view, name="email_confirm"),
]

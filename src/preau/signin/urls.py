from django.urls import path

from preau.signin import views

app_name = "signin"

urlpatterns = [
    path("connexion", views.login_view, name="login"),
    path("deconnexion", views.logout_view, name="logout"),
]

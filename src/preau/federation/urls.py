from django.urls import path

from preau.federation import views

app_name = "federation"

urlpatterns = [
    path("franceconnect/connexion", views.franceconnect_start, name="franceconnect_start"),
    path("franceconnect/retour", views.franceconnect_callback, name="franceconnect_callback"),
    path("franceconnect/lier", views.franceconnect_link, name="franceconnect_link"),
    path(
        "franceconnect/deconnexion",
        views.franceconnect_logout_return,
        name="franceconnect_logout_return",
    ),
    path("mon-compte/identites", views.identities, name="identities"),
    path("mon-compte/identites/<int:pk>/retirer", views.identity_unlink, name="identity_unlink"),
]

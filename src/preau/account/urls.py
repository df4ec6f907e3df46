from django.urls import path

from preau.account import views, views_children, views_merge

app_name = "account"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("mot-de-passe", views.password_view, name="password"),
    path("courriel", views.email_view, name="email"),
    path("coordonnees", views.contact_view, name="contact"),
    path("sessions", views.sessions_view, name="sessions"),
    path("charte", views.charter_view, name="charter"),
    path("enfants", views_children.children_view, name="children"),
    path("fusion", views_merge.merge_view, name="merge"),
    path("fusion/confirmer", views_merge.merge_confirm_view, name="merge_confirm"),
]

from django.urls import path

from preau.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("<str:uai>/", views.dashboard, name="dashboard"),
    path("<str:uai>/comptes/", views.accounts, name="accounts"),
    path("<str:uai>/comptes/<str:login>/", views.account_detail, name="account_detail"),
    path("<str:uai>/import/", views.import_upload, name="import"),
    path("<str:uai>/import/<uuid:pk>/", views.import_detail, name="import_detail"),
    path("<str:uai>/import/<uuid:pk>/confirmer", views.import_confirm, name="import_confirm"),
    path("<str:uai>/courriers/", views.letters, name="letters"),
]

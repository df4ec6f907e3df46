from django.urls import path

from preau.console import views, views_actions, views_help, views_merge

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    # The operator's undo of merges (before "<uai>/", which the word would match).
    path("fusions/", views_merge.merges, name="merges"),
    path("fusions/<int:pk>/annuler", views_merge.merge_undo, name="merge_undo"),
    path("<str:uai>/", views.dashboard, name="dashboard"),
    path("<str:uai>/comptes/", views.accounts, name="accounts"),
    path("<str:uai>/comptes/<str:login>/", views.account_detail, name="account_detail"),
    path("<str:uai>/import/", views.import_upload, name="import"),
    path("<str:uai>/import/<uuid:pk>/", views.import_detail, name="import_detail"),
    path("<str:uai>/import/<uuid:pk>/confirmer", views.import_confirm, name="import_confirm"),
    path("<str:uai>/courriers/", views.letters, name="letters"),
    path("<str:uai>/doublons/", views_merge.duplicates, name="duplicates"),
    path("<str:uai>/doublons/fusionner", views_merge.duplicate_merge, name="duplicate_merge"),
    # Help requests and account actions (preau.recovery's school side).
    path("<str:uai>/demandes/", views_help.help_requests, name="help_requests"),
    path("<str:uai>/demandes/<int:pk>/", views_help.help_request_detail, name="help_request"),
    path(
        "<str:uai>/demandes/<int:pk>/etat",
        views_help.help_request_status,
        name="help_request_status",
    ),
    path(
        "<str:uai>/demandes/<int:pk>/rattachement",
        views_help.help_request_child,
        name="help_request_child",
    ),
    path(
        "<str:uai>/comptes/<str:login>/nouveau-code",
        views_actions.account_reissue,
        name="account_reissue",
    ),
    path(
        "<str:uai>/comptes/<str:login>/changer-mot-de-passe",
        views_actions.account_password_demand,
        name="account_password_demand",
    ),
    path(
        "<str:uai>/comptes/<str:login>/desactiver",
        views_actions.account_deactivate,
        name="account_deactivate",
    ),
    path(
        "<str:uai>/comptes/<str:login>/reactiver",
        views_actions.account_reactivate,
        name="account_reactivate",
    ),
    path(
        "<str:uai>/comptes/<str:login>/debloquer",
        views_actions.account_throttles_lift,
        name="account_throttles_lift",
    ),
]

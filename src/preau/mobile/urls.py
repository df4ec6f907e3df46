from django.urls import path

from preau.mobile import views

app_name = "mobile"

urlpatterns = [
    path("mon-compte/mobile", views.mobile_view, name="home"),
    path("mon-compte/mobile/activer", views.activate_view, name="activate"),
    path("mon-compte/mobile/qr", views.qr_pin_view, name="qr_pin"),
    path("mon-compte/mobile/appareils/<int:device_id>/retirer", views.revoke_view, name="revoke"),
    path("mobile/connexion/<str:token>", views.web_link_view, name="web_link"),
]

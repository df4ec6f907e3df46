from django.urls import path

from preau.portal import views

app_name = "portal"

urlpatterns = [
    path("portails", views.portal_choose, name="choose"),
]

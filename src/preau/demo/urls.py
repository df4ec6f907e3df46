from django.urls import path

from preau.demo import views

app_name = "demo"

urlpatterns = [
    path("messages", views.messages_view, name="messages"),
]

from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "preau.signin"
    label = "signin"

from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "preau.signin"
    label = "signin"

    def ready(self) -> None:
        # Sign-ins and sign-outs, whatever opened them (the sign-in page, later CAS or a
        # federation), are recorded as sessions: see preau.signin.receivers.
        from preau.signin import receivers  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivationConfig(AppConfig):
    name = "preau.activation"
    label = "activation"
    verbose_name = _("Première connexion et charte")

    def ready(self) -> None:
        from preau.activation import (
            checks,  # noqa: F401 - registers the configuration check
            receivers,  # noqa: F401 - a new code or a sign-in, a new journey
        )

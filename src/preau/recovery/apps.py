from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "preau.recovery"
    label = "recovery"
    verbose_name = _("Identifiants et mots de passe oubliés")

    def ready(self) -> None:
        # A password change asked by the school is turned into a required action at every
        # sign-in, whatever opened the session: see preau.recovery.receivers.
        from preau.recovery import receivers  # noqa: F401

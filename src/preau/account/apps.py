from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountConfig(AppConfig):
    name = "preau.account"
    label = "account"
    verbose_name = _("Mon compte")

    def ready(self) -> None:
        # Sign-ins and sign-outs, whatever opened them (the sign-in page, later CAS or a
        # federation), are recorded as sessions: see preau.account.receivers.
        from preau.account import receivers  # noqa: F401

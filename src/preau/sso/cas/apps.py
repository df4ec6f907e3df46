from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasConfig(AppConfig):
    name = "preau.sso.cas"
    label = "cas"
    verbose_name = _("Serveur CAS")

    def ready(self) -> None:
        # Signing out, whatever did it (Préau's /deconnexion, /cas/logout, a session timeout),
        # ends the SSO session and sends the single-logout requests: see receivers.
        from preau.sso.cas import receivers  # noqa: F401

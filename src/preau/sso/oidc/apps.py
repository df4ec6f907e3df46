from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "preau.sso.oidc"
    label = "oidc"
    verbose_name = _("Fournisseur OpenID Connect")

    def ready(self) -> None:
        from preau.sso.oidc import checks  # noqa: F401 - registers the configuration check

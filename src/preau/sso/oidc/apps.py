from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "preau.sso.oidc"
    label = "oidc"
    verbose_name = _("Fournisseur OpenID Connect")

    def ready(self) -> None:
        # The configuration check, and the revocation of tokens with directory.access_revoked.
        from preau.sso.oidc import checks, receivers  # noqa: F401

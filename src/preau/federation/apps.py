from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "preau.federation"
    label = "federation"
    verbose_name = _("Identités fédérées (FranceConnect, EduConnect)")

    def ready(self) -> None:
        from preau.federation import receivers  # noqa: F401 - sign-out at the provider
        from preau.federation.franceconnect import franceconnect_start_url
        from preau.signin.wayf import federation_register

        # The sign-in choices that name "franceconnect" lead here, once it is configured.
        federation_register("franceconnect", franceconnect_start_url)
        from preau.federation.educonnect import educonnect_start_url

        federation_register("educonnect", educonnect_start_url)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileConfig(AppConfig):
    name = "preau.mobile"
    label = "mobile"
    verbose_name = _("Application mobile")

    def ready(self) -> None:
        # Devices die with the account's other ways in (directory.access_revoked).
        from preau.mobile import receivers  # noqa: F401

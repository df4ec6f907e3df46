from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "preau.portal"
    label = "portal"
    verbose_name = _("Services")

    def ready(self) -> None:
        # A change of the registry (admin, shell, migration) tells every process to reload
        # its copy: see preau.portal.registry.
        from preau.portal import receivers  # noqa: F401

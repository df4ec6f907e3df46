from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "preau.lifecycle"
    verbose_name = _("Cycle de vie des comptes")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "preau.notify"
    verbose_name = _("Envois (courriel, SMS)")

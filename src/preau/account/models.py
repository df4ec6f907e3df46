"""What "Mon compte" keeps beside the directory's Account: the notification preferences.

These live here rather than on :class:`~preau.directory.models.Account` because only this app
reads and writes them; each row belongs to one account and dies with it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPreferences(models.Model):
    """What the person agreed to receive (first connection, then "Mon compte")."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    from_establishment = models.BooleanField(_("informations de l'établissement"), default=True)
    from_partners = models.BooleanField(
        _("informations des partenaires (région, académie)"), default=False
    )
    sms = models.BooleanField(_("SMS"), default=False)
    updated_at = models.DateTimeField(_("modifié le"))

    class Meta:
        verbose_name = _("préférences de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self) -> str:
        return str(self.account_id)
